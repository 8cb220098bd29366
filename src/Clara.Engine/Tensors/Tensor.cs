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
        : this(buffer, byteOffset, shape, dtype, scales: null)
    {
    }

    private Tensor(DeviceBuffer buffer, long byteOffset, Shape shape, DType dtype, Tensor? scales)
    {
        ArgumentNullException.ThrowIfNull(buffer);
        ArgumentNullException.ThrowIfNull(shape);
        long bytes = checked(shape.ElementCount * dtype.SizeOf());
        if (byteOffset < 0 || byteOffset + bytes > buffer.ByteLength)
            throw new ArgumentOutOfRangeException(nameof(byteOffset),
                $"a {dtype} tensor {shape} at byte {byteOffset} does not fit a buffer of {buffer.ByteLength} bytes");
        // A Q8_0 tensor without its scales would be read as raw int8 values: only Quantized makes one.
        if ((dtype == DType.Q8_0) != (scales is not null))
            throw new ArgumentException(dtype == DType.Q8_0 ? "a Q8_0 tensor needs its block scales: use Tensor.Quantized" : "only a Q8_0 tensor has block scales");
        Buffer = buffer;
        ByteOffset = byteOffset;
        Shape = shape;
        DType = dtype;
        BlockScales = scales;
    }

    /// <summary>
    /// A Q8_0 weight: int8 values [out, in] at <paramref name="byteOffset"/> of <paramref name="values"/>, and one F16
    /// scale per block of 32 values along each row (<paramref name="scales"/> [out, in / 32], on the same backend).
    /// </summary>
    public static Tensor Quantized(DeviceBuffer values, long byteOffset, Shape shape, Tensor scales)
    {
        ArgumentNullException.ThrowIfNull(scales);
        Q8Blocks.CheckShapes(shape, scales.Shape, scales.DType, "Q8_0 tensor");
        if (scales.Backend != values.Backend) throw new ArgumentException("a Q8_0 tensor's scales must live on the backend of its values");
        return new Tensor(values, byteOffset, shape, DType.Q8_0, scales);
    }

    public DeviceBuffer Buffer { get; }
    public long ByteOffset { get; }
    public Shape Shape { get; }
    public DType DType { get; }

    /// <summary>The F16 block scales [out, in / 32] of a <see cref="DType.Q8_0"/> tensor; null for every other dtype.</summary>
    public Tensor? BlockScales { get; }
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
        if (DType == DType.Q8_0) throw new NotSupportedException($"a Q8_0 tensor {Shape} cannot be reshaped (its scales follow its rows)");
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
        var scales = BlockScales?.Slice(start, count);
        return new Tensor(Buffer, ByteOffset + start * rowBytes, new Shape(dims), DType, scales);
    }

    public float[] ToFloatArray()
    {
        var result = GC.AllocateUninitializedArray<float>(checked((int)ElementCount));
        CopyTo(result);
        return result;
    }

    /// <summary>
    /// The values as fp32 into <paramref name="destination"/>, which holds exactly <see cref="ElementCount"/> floats.
    /// An F32 tensor is downloaded straight into it; a decoding loop that reuses one array this way allocates no
    /// large-object array per step (a 32000-word vocabulary's logits row is 128 KB, over the large-object threshold).
    /// </summary>
    public void CopyTo(Span<float> destination)
    {
        if (destination.Length != ElementCount)
            throw new ArgumentException($"{this} holds {ElementCount} values; the destination has room for {destination.Length}", nameof(destination));
        if (DType == DType.F32 && BlockScales is null)
        {
            Backend.Download(this, MemoryMarshal.AsBytes(destination));
            return;
        }
        var bytes = new byte[ByteLength];
        Backend.Download(this, bytes);
        if (BlockScales is { } scales)
        {
            var scaleBits = new ushort[scales.ElementCount];
            Backend.Download(scales, MemoryMarshal.AsBytes(scaleBits.AsSpan()));
            Q8Blocks.Dequantize(MemoryMarshal.Cast<byte, sbyte>(bytes), scaleBits, destination);
            return;
        }
        IO.BulkConvert.ToFloat32(DType, bytes, destination);
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
