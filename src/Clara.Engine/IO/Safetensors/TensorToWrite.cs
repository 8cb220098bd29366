using System.Buffers;
using System.Runtime.InteropServices;
using Clara.Engine.Tensors;

namespace Clara.Engine.IO.Safetensors;

/// <summary>
/// One tensor for <see cref="SafetensorsWriter"/>: its name, dtype and shape, and how to produce its bytes. The
/// bytes are produced only when the writer reaches this tensor, so a converter can hand over a lazy sequence whose
/// callbacks load, convert and write one tensor at a time with bounded memory.
/// </summary>
public sealed class TensorToWrite
{
    /// <summary>fp32 → bf16/f16 conversion runs through a buffer of this many elements, not a full copy.</summary>
    private const int ConversionChunkElements = 1 << 16;

    private readonly Action<Stream> _writeData;

    private TensorToWrite(string name, DType dtype, Shape shape, Action<Stream> writeData)
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentNullException.ThrowIfNull(shape);
        Name = name;
        DType = dtype;
        Shape = shape;
        ByteLength = ByteLengthOf(name, dtype, shape);
        _writeData = writeData;
    }

    public string Name { get; }
    public DType DType { get; }
    public Shape Shape { get; }

    /// <summary>Element count × dtype size: exactly what the data producer must write.</summary>
    public long ByteLength { get; }

    /// <summary>Raw little-endian bytes, whose length must equal shape × dtype size.</summary>
    public static TensorToWrite FromBytes(string name, DType dtype, Shape shape, ReadOnlyMemory<byte> bytes)
    {
        var tensor = new TensorToWrite(name, dtype, shape, stream => stream.Write(bytes.Span));
        RequireLength(tensor, bytes.Length, "bytes");
        return tensor;
    }

    /// <summary>
    /// Bytes produced by <paramref name="writeData"/>, which must write exactly <see cref="ByteLength"/> bytes into the
    /// stream it is given. That stream is write-only and rejects any byte past the tensor's length.
    /// </summary>
    public static TensorToWrite FromCallback(string name, DType dtype, Shape shape, Action<Stream> writeData)
    {
        ArgumentNullException.ThrowIfNull(writeData);
        return new TensorToWrite(name, dtype, shape, writeData);
    }

    /// <summary>fp32 values stored as <paramref name="storeAs"/> (F32, BF16 with round-to-nearest-even, or F16).</summary>
    public static TensorToWrite FromFloat32(string name, Shape shape, ReadOnlyMemory<float> values, DType storeAs = DType.F32)
    {
        if (storeAs is not (DType.F32 or DType.BF16 or DType.F16))
            throw new ArgumentException($"tensor '{name}': fp32 values can be stored as F32, BF16 or F16, not {storeAs.SafetensorsName()}", nameof(storeAs));
        var tensor = storeAs == DType.F32
            ? new TensorToWrite(name, storeAs, shape, stream => stream.Write(MemoryMarshal.AsBytes(values.Span)))
            : new TensorToWrite(name, storeAs, shape, stream => WriteConverted(stream, values, storeAs));
        RequireLength(tensor, (long)values.Length * storeAs.SizeOf(), "values");
        return tensor;
    }

    public static TensorToWrite FromInt32(string name, Shape shape, ReadOnlyMemory<int> values)
    {
        var tensor = new TensorToWrite(name, DType.I32, shape, stream => stream.Write(MemoryMarshal.AsBytes(values.Span)));
        RequireLength(tensor, (long)values.Length * sizeof(int), "values");
        return tensor;
    }

    public static TensorToWrite FromInt64(string name, Shape shape, ReadOnlyMemory<long> values)
    {
        var tensor = new TensorToWrite(name, DType.I64, shape, stream => stream.Write(MemoryMarshal.AsBytes(values.Span)));
        RequireLength(tensor, (long)values.Length * sizeof(long), "values");
        return tensor;
    }

    internal void WriteData(Stream destination) => _writeData(destination);

    private static void WriteConverted(Stream stream, ReadOnlyMemory<float> values, DType storeAs)
    {
        int elementSize = storeAs.SizeOf();
        byte[] buffer = ArrayPool<byte>.Shared.Rent(ConversionChunkElements * elementSize);
        try
        {
            for (int start = 0; start < values.Length; start += ConversionChunkElements)
            {
                var chunk = values.Span.Slice(start, Math.Min(ConversionChunkElements, values.Length - start));
                var bytes = buffer.AsSpan(0, chunk.Length * elementSize);
                BulkConvert.FromFloat32(storeAs, chunk, bytes);
                stream.Write(bytes);
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private static long ByteLengthOf(string name, DType dtype, Shape shape)
    {
        int size = dtype.SizeOf();
        return shape.ElementCount <= long.MaxValue / size
            ? shape.ElementCount * size
            : throw new ArgumentException($"tensor '{name}': shape {shape} of {dtype.SafetensorsName()} is too large to address", nameof(shape));
    }

    private static void RequireLength(TensorToWrite tensor, long actualBytes, string parameter)
    {
        if (actualBytes != tensor.ByteLength)
            throw new ArgumentException(
                $"tensor '{tensor.Name}': shape {tensor.Shape} of {tensor.DType.SafetensorsName()} needs {tensor.ByteLength} bytes but {actualBytes} were given",
                parameter);
    }
}
