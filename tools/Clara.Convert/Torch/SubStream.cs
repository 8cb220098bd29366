namespace Clara.Convert.Torch;

/// <summary>A read-only window [offset, offset + length) of a stream it owns. Reads stop at the window's end.</summary>
internal sealed class SubStream : Stream
{
    private readonly Stream _inner;
    private readonly long _start;
    private readonly long _length;
    private long _position;

    public SubStream(Stream inner, long offset, long length)
    {
        if (offset < 0 || length < 0 || offset + length > inner.Length)
            throw new ArgumentOutOfRangeException(nameof(length), $"window [{offset}, {offset + length}) lies outside a {inner.Length}-byte stream");
        _inner = inner;
        _start = offset;
        _length = length;
        _inner.Position = offset;
    }

    public override bool CanRead => true;
    public override bool CanSeek => true;
    public override bool CanWrite => false;
    public override long Length => _length;

    public override long Position
    {
        get => _position;
        set
        {
            ArgumentOutOfRangeException.ThrowIfNegative(value);
            _position = Math.Min(value, _length);
            _inner.Position = _start + _position;
        }
    }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        int wanted = (int)Math.Min(buffer.Length, _length - _position);
        if (wanted <= 0) return 0;
        int read = _inner.Read(buffer[..wanted]);
        _position += read;
        return read;
    }

    public override long Seek(long offset, SeekOrigin origin)
    {
        Position = origin switch
        {
            SeekOrigin.Begin => offset,
            SeekOrigin.Current => _position + offset,
            _ => _length + offset,
        };
        return _position;
    }

    public override void Flush() { }
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing) _inner.Dispose();
        base.Dispose(disposing);
    }
}
