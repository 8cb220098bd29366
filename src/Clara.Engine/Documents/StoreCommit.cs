using System.Buffers.Binary;
using System.IO.Hashing;

namespace Clara.Engine.Documents;

/// <summary>
/// A <see cref="FileDocumentStore"/>'s commit record: how many bytes of the data file are committed, how many records
/// they hold, and the CRC-64 of those bytes, closed by a CRC-32 of the record itself. It is replaced atomically
/// (a temporary file, flushed to disk, then renamed over the old one) only after the data it names is on disk, so
/// at any instant the file names a consistent prefix of the data: bytes past it are an interrupted write.
/// </summary>
internal sealed record StoreCommit(long Length, long Records, ulong Checksum)
{
    private static ReadOnlySpan<byte> Magic => "CLARACM1"u8;
    private const int Size = 8 + 8 + 8 + 8 + 4;

    public byte[] ToBytes()
    {
        var bytes = new byte[Size];
        Magic.CopyTo(bytes);
        BinaryPrimitives.WriteInt64LittleEndian(bytes.AsSpan(8), Length);
        BinaryPrimitives.WriteInt64LittleEndian(bytes.AsSpan(16), Records);
        BinaryPrimitives.WriteUInt64LittleEndian(bytes.AsSpan(24), Checksum);
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(32), Crc32.HashToUInt32(bytes.AsSpan(0, 32)));
        return bytes;
    }

    public static StoreCommit Read(string path)
    {
        var bytes = File.ReadAllBytes(path);
        if (bytes.Length != Size || !bytes.AsSpan(0, 8).SequenceEqual(Magic))
            throw new InvalidDataException($"{path} is not a clara store commit record");
        if (BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(32)) != Crc32.HashToUInt32(bytes.AsSpan(0, 32)))
            throw new InvalidDataException($"{path}: the commit record's checksum does not match; the store is damaged");
        var commit = new StoreCommit(BinaryPrimitives.ReadInt64LittleEndian(bytes.AsSpan(8)), BinaryPrimitives.ReadInt64LittleEndian(bytes.AsSpan(16)),
            BinaryPrimitives.ReadUInt64LittleEndian(bytes.AsSpan(24)));
        if (commit.Length < 0 || commit.Records < 0) throw new InvalidDataException($"{path}: the commit record names a negative length");
        return commit;
    }

    /// <summary>Replaces the record at <paramref name="path"/> in one rename, after the new bytes are on disk.</summary>
    public void WriteAtomically(string path)
    {
        string temporary = path + ".tmp";
        using (var file = new FileStream(temporary, FileMode.Create, FileAccess.Write, FileShare.None))
        {
            file.Write(ToBytes());
            file.Flush(flushToDisk: true);
        }
        File.Move(temporary, path, overwrite: true);
    }
}
