using System.Buffers.Binary;
using System.Text;

namespace Clara.Engine.Documents;

/// <summary>
/// The byte layout of a <see cref="FileDocumentStore"/>'s data file, little-endian throughout:
/// <code>
/// header := "CLARADS1" str(fingerprint)
/// record := u32 bodyLength, body
/// body   := u8 kind (1 put, 2 remove), str(id),
///           put only: u8 flags (1 text, 2 token ids), [str(text)], [u32 n, i32 × n], i32 memoryTokens, i32 hidden, f32 × memoryTokens·hidden
/// str    := u32 byteLength, UTF-8 bytes
/// </code>
/// </summary>
internal static class StoreRecords
{
    public static ReadOnlySpan<byte> Magic => "CLARADS1"u8;
    public const byte Put = 1, Remove = 2;
    private const byte HasText = 1, HasTokenIds = 2;

    public static byte[] Header(string fingerprint)
    {
        var output = new Writer();
        output.Bytes(Magic);
        output.String(fingerprint);
        return output.ToArray();
    }

    /// <summary>The fingerprint and the header's length, or an error naming the file when it is not a store's data file.</summary>
    public static (string Fingerprint, int Length) ReadHeader(ReadOnlySpan<byte> data, string path)
    {
        if (data.Length < Magic.Length + 4 || !data[..Magic.Length].SequenceEqual(Magic))
            throw new InvalidDataException($"{path} is not a clara document store (no CLARADS1 header)");
        var reader = new Reader(data, Magic.Length, path);
        string fingerprint = reader.String();
        return (fingerprint, reader.Position);
    }

    public static byte[] PutRecord(Document document, DocumentMemory memory)
    {
        var output = new Writer();
        output.Int(0); // the body length, filled in below
        output.Byte(Put);
        output.String(document.Id);
        output.Byte((byte)((document.Text is null ? 0 : HasText) | (document.TokenIds is null ? 0 : HasTokenIds)));
        if (document.Text is { } text) output.String(text);
        if (document.TokenIds is { } ids)
        {
            output.Int(ids.Count);
            foreach (int id in ids) output.Int(id);
        }
        output.Int(memory.MemoryTokens);
        output.Int(memory.Hidden);
        output.Bytes(memory.ToLittleEndianBytes());
        return output.WithLength();
    }

    public static byte[] RemoveRecord(string id)
    {
        var output = new Writer();
        output.Int(0);
        output.Byte(Remove);
        output.String(id);
        return output.WithLength();
    }

    /// <summary>The kind and id of the record at <paramref name="offset"/>, and where the next one starts.</summary>
    public static (byte Kind, string Id, long Next) Peek(ReadOnlySpan<byte> record, long offset, string path)
    {
        var reader = new Reader(record, 0, path);
        int length = reader.Int();
        if (length < 5 || record.Length < 4L + length) throw new InvalidDataException($"{path}: the record at byte {offset} runs past the committed data");
        byte kind = reader.Byte();
        if (kind is not (Put or Remove)) throw new InvalidDataException($"{path}: the record at byte {offset} has unknown kind {kind}");
        return (kind, reader.String(), offset + 4 + length);
    }

    public static StoredDocument ReadPut(ReadOnlySpan<byte> record, string fingerprint, string path)
    {
        var reader = new Reader(record, 0, path);
        int length = reader.Int();
        reader = new Reader(record[..(4 + length)], 4, path);
        if (reader.Byte() != Put) throw new InvalidDataException($"{path}: expected a document record");
        string id = reader.String();
        byte flags = reader.Byte();
        string? text = (flags & HasText) != 0 ? reader.String() : null;
        int[]? ids = null;
        if ((flags & HasTokenIds) != 0)
        {
            ids = new int[reader.Count(4)];
            for (int i = 0; i < ids.Length; i++) ids[i] = reader.Int();
        }
        int memoryTokens = reader.Int(), hidden = reader.Int();
        if (memoryTokens < 1 || hidden < 1) throw new InvalidDataException($"{path}: document '{id}' has a {memoryTokens} × {hidden} memory");
        var memory = DocumentMemory.FromLittleEndianBytes(fingerprint, memoryTokens, hidden, reader.Take(checked(4 * memoryTokens * hidden)));
        return new StoredDocument(new Document(id, text, ids), memory);
    }

    private sealed class Writer
    {
        private readonly MemoryStream _bytes = new();

        public void Byte(byte value) => _bytes.WriteByte(value);
        public void Bytes(ReadOnlySpan<byte> values) => _bytes.Write(values);

        public void Int(int value)
        {
            Span<byte> buffer = stackalloc byte[4];
            BinaryPrimitives.WriteInt32LittleEndian(buffer, value);
            _bytes.Write(buffer);
        }

        public void String(string value)
        {
            var bytes = Encoding.UTF8.GetBytes(value);
            Int(bytes.Length);
            Bytes(bytes);
        }

        public byte[] ToArray() => _bytes.ToArray();

        public byte[] WithLength()
        {
            var bytes = _bytes.ToArray();
            BinaryPrimitives.WriteInt32LittleEndian(bytes, bytes.Length - 4);
            return bytes;
        }
    }

    private ref struct Reader(ReadOnlySpan<byte> data, int position, string path)
    {
        private readonly ReadOnlySpan<byte> _data = data;
        public int Position { get; private set; } = position;

        public ReadOnlySpan<byte> Take(int count)
        {
            if (count < 0 || Position + (long)count > _data.Length) throw new InvalidDataException($"{path}: a record is cut short");
            var span = _data.Slice(Position, count);
            Position += count;
            return span;
        }

        public byte Byte() => Take(1)[0];
        public int Int() => BinaryPrimitives.ReadInt32LittleEndian(Take(4));

        /// <summary>A count of items of <paramref name="size"/> bytes, checked against the bytes left.</summary>
        public int Count(int size)
        {
            int count = Int();
            if (count < 0 || (long)count * size > _data.Length - Position) throw new InvalidDataException($"{path}: a record's count {count} runs past its end");
            return count;
        }

        public string String() => Encoding.UTF8.GetString(Take(Count(1)));
    }
}
