using Clara.Convert.Pickle;
using Clara.Engine.Tensors;

namespace Clara.Convert.Torch;

/// <summary>Reads a tensor's elements out of its storage in row-major order.</summary>
public static class TorchTensorData
{
    /// <summary>
    /// A strided view is gathered in memory from the part of the storage it spans. A storage record compresses
    /// (2 GB of zeros deflate to 2 MB), so a small file could otherwise ask for any amount of memory.
    /// </summary>
    public const long MaxGatherBytes = 1L << 30;

    /// <summary>
    /// A stream of exactly ElementCount × element-size bytes in row-major order. A contiguous tensor streams
    /// straight from its storage record; a strided view (transpose, column slice) is gathered into memory,
    /// which costs at most the part of the storage it spans.
    /// </summary>
    public static Stream OpenRowMajor(TorchCheckpointFile file, string name, TorchTensor tensor)
    {
        if (tensor.StorageElementsSpanned > tensor.Storage.ElementCount)
            throw new InvalidDataException($"{file.Path}: tensor '{name}' reaches past the end of its storage '{tensor.Storage.Key}'");
        int elementSize = tensor.DType.SizeOf();
        long byteLength = tensor.ElementCount * elementSize;
        var storage = file.OpenStorage(tensor.Storage);
        try
        {
            Skip(storage, tensor.StorageOffset * elementSize);
            if (tensor.IsContiguous) return new LengthLimitedStream(storage, byteLength);

            long spanBytes = (tensor.StorageElementsSpanned - tensor.StorageOffset) * elementSize;
            if (spanBytes > MaxGatherBytes || byteLength > MaxGatherBytes)
                throw new InvalidDataException(
                    $"{file.Path}: tensor '{name}' is a strided view ({tensor.DType} {tensor.ShapeText}, strides ({string.Join(", ", tensor.Stride)})) " +
                    $"over {spanBytes} bytes of storage '{tensor.Storage.Key}'; views are gathered in memory up to {MaxGatherBytes} bytes " +
                    "(TorchTensorData.MaxGatherBytes): save the tensor contiguous (tensor.contiguous()) instead");
            var span = new byte[spanBytes];
            storage.ReadExactly(span);
            storage.Dispose();
            var contiguous = new byte[byteLength];
            Gather(span, tensor.Size, tensor.Stride, elementSize, contiguous);
            return new MemoryStream(contiguous, writable: false);
        }
        catch
        {
            storage.Dispose();
            throw;
        }
    }

    /// <summary>Copies a strided view (strides in elements, relative to <paramref name="source"/>'s start) to row-major order.</summary>
    internal static void Gather(ReadOnlySpan<byte> source, long[] size, long[] stride, int elementSize, Span<byte> destination)
    {
        int rank = size.Length;
        if (rank == 0)
        {
            source[..elementSize].CopyTo(destination);
            return;
        }
        long total = 1;
        foreach (var s in size) total *= s;
        if (total == 0) return;

        var index = new long[rank];
        long sourceElement = 0;
        long innerSize = size[rank - 1], innerStride = stride[rank - 1];
        int written = 0;
        while (true)
        {
            for (long i = 0; i < innerSize; i++)
            {
                source.Slice((int)((sourceElement + i * innerStride) * elementSize), elementSize).CopyTo(destination[written..]);
                written += elementSize;
            }
            // Odometer step over the outer axes.
            int axis = rank - 2;
            while (axis >= 0)
            {
                index[axis]++;
                sourceElement += stride[axis];
                if (index[axis] < size[axis]) break;
                sourceElement -= index[axis] * stride[axis];
                index[axis] = 0;
                axis--;
            }
            if (axis < 0) return;
        }
    }

    private static void Skip(Stream stream, long bytes)
    {
        if (bytes == 0) return;
        if (stream.CanSeek)
        {
            stream.Seek(bytes, SeekOrigin.Current);
            return;
        }
        var buffer = new byte[(int)Math.Min(bytes, 1 << 20)];
        while (bytes > 0)
        {
            int read = stream.Read(buffer, 0, (int)Math.Min(bytes, buffer.Length));
            if (read == 0) throw new EndOfStreamException("storage record ended early");
            bytes -= read;
        }
    }
}

/// <summary>Reads at most a given number of bytes from a stream it owns, and insists that they are all there.</summary>
internal sealed class LengthLimitedStream(Stream inner, long length) : Stream
{
    private long _position;

    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => length;
    public override long Position { get => _position; set => throw new NotSupportedException(); }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        int wanted = (int)Math.Min(buffer.Length, length - _position);
        if (wanted <= 0) return 0;
        int read = inner.Read(buffer[..wanted]);
        if (read == 0) throw new EndOfStreamException($"the data ended after {_position} of {length} bytes");
        _position += read;
        return read;
    }

    public override void Flush() { }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing) inner.Dispose();
        base.Dispose(disposing);
    }
}
