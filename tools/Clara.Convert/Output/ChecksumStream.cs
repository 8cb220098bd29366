using System.IO.Hashing;

namespace Clara.Convert.Output;

/// <summary>
/// A write-only stream that CRC-32s (IEEE 802.3, the zlib/PNG polynomial) everything written through it and
/// forwards it to an inner stream, if any. CRC-32 because every toolchain has it (Python: zlib.crc32), so a
/// converted file can be checked without this program.
/// </summary>
internal sealed class ChecksumStream(Stream? inner) : Stream
{
    public const string Algorithm = "crc32";

    private readonly Crc32 _crc = new();
    private long _length;

    /// <summary>The CRC as 8 lowercase hex digits, as Python's <c>format(zlib.crc32(data), "08x")</c> prints it.</summary>
    public string Hex => _crc.GetCurrentHashAsUInt32().ToString("x8", System.Globalization.CultureInfo.InvariantCulture);

    public static string Of(ReadOnlySpan<byte> data) =>
        Crc32.HashToUInt32(data).ToString("x8", System.Globalization.CultureInfo.InvariantCulture);

    public override bool CanRead => false;
    public override bool CanSeek => false;
    public override bool CanWrite => true;
    public override long Length => _length;
    public override long Position { get => _length; set => throw new NotSupportedException(); }

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        _crc.Append(buffer);
        _length += buffer.Length;
        inner?.Write(buffer);
    }

    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));
    public override void Flush() => inner?.Flush();
    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
}
