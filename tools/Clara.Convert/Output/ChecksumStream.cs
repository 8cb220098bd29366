using System.IO.Hashing;
using Clara.Engine.Models;

namespace Clara.Convert.Output;

/// <summary>
/// A write-only stream that checksums (<see cref="EngineFileChecksums.Algorithm"/>) everything written through it and
/// forwards it to an inner stream, if any.
/// </summary>
internal sealed class ChecksumStream(Stream? inner) : Stream
{
    private readonly Crc32 _crc = new();
    private long _length;

    public string Hex => EngineFileChecksums.Hex(_crc);

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
