using System.Runtime.InteropServices;
using Clara.Engine.Backends;

namespace Clara.Engine.Tensors;

/// <summary>
/// A dense row-major view into a <see cref="DeviceBuffer"/>. Tensors do not own memory: the buffer
/// (or the arena of a planned graph) does, so views are free to create.
/// </summary>
public sealed class Tensor
{
    public Tensor(DeviceBuffer buffer, long byteOffset, Shape shape, DType dtype)
    {
        ArgumentNullException.ThrowIfNull(buffer);
        ArgumentNullException.ThrowIfNull(shape);
        long bytes = checked(shape.ElementCount * dtype.SizeOf());
        if (byteOffset < 0 || byteOffset + bytes > buffer.ByteLength)
            throw new ArgumentOutOfRangeException(nameof(byteOffset),
                $"a {dtype} tensor {shape} at byte {byteOffset} does not fit a buffer of {buffer.ByteLength} bytes");
        Buffer = buffer;
        ByteOffset = byteOffset;
        Shape = shape;
        DType = dtype;
    }

    public DeviceBuffer Buffer { get; }
    public long ByteOffset { get; }
    public Shape Shape { get; }
    public DType DType { get; }
    public IBackend Backend => Buffer.Backend;
    public long ElementCount => Shape.ElementCount;
    public long ByteLength => Shape.ElementCount * DType.SizeOf();

    /// <summary>Allocates a fresh tensor on <paramref name="backend"/>; the caller owns the returned buffer.</summary>
    public static Tensor Allocate(IBackend backend, Shape shape, DType dtype) =>
        new(backend.Allocate(Math.Max(1, shape.ElementCount * dtype.SizeOf())), 0, shape, dtype);

    public static Tensor FromFloats(IBackend backend, ReadOnlySpan<float> values, params int[] dims)
    {
        var t = Allocate(backend, new Shape(dims), DType.F32);
        if (t.ElementCount != values.Length)
            throw new ArgumentException($"{values.Length} values do not fill shape {t.Shape}");
        backend.Upload(MemoryMarshal.AsBytes(values), t);
        return t;
    }

    public static Tensor FromInts(IBackend backend, ReadOnlySpan<int> values, params int[] dims)
    {
        var t = Allocate(backend, new Shape(dims), DType.I32);
        if (t.ElementCount != values.Length)
            throw new ArgumentException($"{values.Length} values do not fill shape {t.Shape}");
        backend.Upload(MemoryMarshal.AsBytes(values), t);
        return t;
    }

    /// <summary>The same bytes seen with another shape of equal element count.</summary>
    public Tensor Reshape(params int[] dims)
    {
        var shape = new Shape(dims);
        if (shape.ElementCount != ElementCount)
            throw new ArgumentException($"cannot reshape {Shape} ({ElementCount} elements) to {shape}");
        return new Tensor(Buffer, ByteOffset, shape, DType);
    }

    /// <summary>Rows [start, start+count) along the first dimension.</summary>
    public Tensor Slice(int start, int count)
    {
        if (Shape.Rank == 0) throw new InvalidOperationException("cannot slice a scalar");
        if (start < 0 || count < 0 || start + count > Shape[0])
            throw new ArgumentOutOfRangeException(nameof(start), $"rows [{start}, {start + count}) outside {Shape}");
        var dims = Shape.Dims.ToArray();
        long rowBytes = ByteLength / Math.Max(1, dims[0]);
        dims[0] = count;
        return new Tensor(Buffer, ByteOffset + start * rowBytes, new Shape(dims), DType);
    }

    public float[] ToFloatArray()
    {
        var bytes = new byte[ByteLength];
        Backend.Download(this, bytes);
        var result = new float[ElementCount];
        IO.BulkConvert.ToFloat32(DType, bytes, result);
        return result;
    }

    public int[] ToIntArray()
    {
        if (DType != DType.I32) throw new InvalidOperationException($"tensor is {DType}, not I32");
        var result = new int[ElementCount];
        Backend.Download(this, MemoryMarshal.AsBytes(result.AsSpan()));
        return result;
    }

    public override string ToString() => $"{DType}{Shape} on {Backend.Name}";
}
