using System.Buffers.Binary;
using System.Text;

namespace Clara.Convert.Pickle;

/// <summary>
/// Reads pickle operands from a seekable stream. Every length is checked against what is left of the
/// stream before anything is allocated, so a corrupt or hostile length cannot make us over-read or over-allocate.
/// </summary>
internal sealed class PickleInput(Stream stream, string source)
{
    private const int MaxLineLength = 256; // GLOBAL module/name lines; real ones are a few dozen characters.

    public long Position => stream.Position;

    private long Remaining => stream.Length - stream.Position;

    public int ReadByte()
    {
        int value = stream.ReadByte();
        return value >= 0 ? value : throw Truncated(1);
    }

    public ushort ReadUInt16() => BinaryPrimitives.ReadUInt16LittleEndian(ReadSmall(stackalloc byte[2]));
    public int ReadInt32() => BinaryPrimitives.ReadInt32LittleEndian(ReadSmall(stackalloc byte[4]));
    public uint ReadUInt32() => BinaryPrimitives.ReadUInt32LittleEndian(ReadSmall(stackalloc byte[4]));
    public ulong ReadUInt64() => BinaryPrimitives.ReadUInt64LittleEndian(ReadSmall(stackalloc byte[8]));
    public ulong ReadUInt64BigEndian() => BinaryPrimitives.ReadUInt64BigEndian(ReadSmall(stackalloc byte[8]));

    public long ReadInt64Length()
    {
        ulong length = ReadUInt64();
        return length <= long.MaxValue ? (long)length : throw new PickleFormatException($"length {length} is out of range");
    }

    public byte[] ReadBytes(long count)
    {
        if (count < 0) throw new PickleFormatException($"negative length {count}");
        if (count > Remaining) throw Truncated(count);
        if (count > Array.MaxLength) throw new PickleFormatException($"a {count}-byte value is too large");
        var bytes = new byte[count];
        stream.ReadExactly(bytes);
        return bytes;
    }

    /// <summary>A newline-terminated ASCII line (GLOBAL operands).</summary>
    public string ReadLine()
    {
        var text = new StringBuilder();
        while (true)
        {
            int b = ReadByte();
            if (b == '\n') return text.ToString();
            if (b is < 0x20 or > 0x7e) throw new PickleFormatException("a GLOBAL name contains a non-printable byte");
            if (text.Length == MaxLineLength) throw new PickleFormatException($"a GLOBAL name is longer than {MaxLineLength} characters");
            text.Append((char)b);
        }
    }

    private ReadOnlySpan<byte> ReadSmall(Span<byte> buffer)
    {
        if (buffer.Length > Remaining) throw Truncated(buffer.Length);
        stream.ReadExactly(buffer);
        return buffer;
    }

    private PickleFormatException Truncated(long wanted) =>
        new($"{source}: the pickle is truncated: {wanted} more bytes needed at byte {stream.Position}, {Math.Max(0, Remaining)} left");
}
