namespace Clara.Engine.IO.Safetensors;

/// <summary>
/// The write-only window a tensor's data callback writes through: forwards to the file, refuses any byte past the
/// tensor's declared length, and leaves the file open when the callback disposes it (e.g. through a BinaryWriter).
/// </summary>
internal sealed class ExactLengthWriteStream(Stream destination, long expectedLength, string tensorName) : Stream
{
    private bool _closed;

    public long Written { get; private set; }

    public override bool CanRead => false;
    public override bool CanSeek => false;
    public override bool CanWrite => !_closed;
    public override long Length => throw new NotSupportedException();

    public override long Position
    {
        get => Written;
        set => throw new NotSupportedException();
    }

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        ObjectDisposedException.ThrowIf(_closed, this);
        if (buffer.Length > expectedLength - Written)
            throw new InvalidOperationException(
                $"the data for tensor '{tensorName}' is longer than the {expectedLength} bytes its shape and dtype declare");
        destination.Write(buffer);
        Written += buffer.Length;
    }

    public override void Write(byte[] buffer, int offset, int count)
    {
        ValidateBufferArguments(buffer, offset, count);
        Write(buffer.AsSpan(offset, count));
    }

    public override void WriteByte(byte value) => Write([value]);

    /// <summary>Writes synchronously: the file is written in order, one tensor at a time.</summary>
    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
    {
        ValidateBufferArguments(buffer, offset, count);
        return WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();
    }

    public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        Write(buffer.Span);
        return ValueTask.CompletedTask;
    }

    /// <summary>Called by the writer once the callback returns.</summary>
    public void EnsureComplete()
    {
        if (Written != expectedLength)
            throw new InvalidOperationException(
                $"the data for tensor '{tensorName}' is {Written} bytes but its shape and dtype declare {expectedLength}");
    }

    public override void Flush() { }
    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        _closed = true;
        base.Dispose(disposing);
    }
}
