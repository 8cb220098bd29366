using System.Buffers;
using Clara.Convert.Sources;
using Clara.Engine.IO;
using Clara.Engine.Tensors;

namespace Clara.Convert.Output;

/// <summary>
/// Streams one tensor from its source to a destination stream, converting the dtype chunk by chunk, so memory
/// stays at a few MiB whatever the tensor's size. Same-dtype tensors are copied bit for bit; otherwise values go
/// through fp32 (exact for bf16/f16 sources) and are rounded to nearest even on the way out.
/// </summary>
internal static class TensorConverter
{
    private const int ChunkElements = 1 << 20;

    /// <summary>Writes a planned tensor: cast to its dtype, or its Q8_0 values or scales.</summary>
    public static void Convert(Planning.PlannedTensor tensor, Stream destination, ProgressReporter? progress)
    {
        if (tensor.Encoding == Planning.TensorEncoding.Cast) Convert(tensor.Source, tensor.DType, destination, progress);
        else Quantise(tensor.Source, tensor.Encoding == Planning.TensorEncoding.Q8Scales, destination, progress);
    }

    /// <summary>
    /// Streams the Q8_0 values (or scales) of a float source. Chunks are whole blocks (2^20 is a multiple of 32 and the
    /// planner checked the rows are), so no block straddles two chunks.
    /// </summary>
    private static void Quantise(ISourceTensor source, bool scales, Stream destination, ProgressReporter? progress)
    {
        float[] floats = ArrayPool<float>.Shared.Rent(ChunkElements);
        byte[] values = ArrayPool<byte>.Shared.Rent(ChunkElements);
        byte[] scaleBytes = ArrayPool<byte>.Shared.Rent(ChunkElements / Q8Blocks.BlockSize * sizeof(ushort));
        try
        {
            ForEachChunk(source, progress, (raw, count) =>
            {
                BulkConvert.ToFloat32(source.DType, raw, floats.AsSpan(0, count));
                var valueSpan = values.AsSpan(0, count);
                var scaleSpan = scaleBytes.AsSpan(0, count / Q8Blocks.BlockSize * sizeof(ushort));
                try
                {
                    Q8Blocks.Quantize(floats.AsSpan(0, count), valueSpan, scaleSpan);
                }
                catch (InvalidDataException e)
                {
                    throw new InvalidDataException($"'{source.Name}' in {source.Origin}: {e.Message}", e);
                }
                destination.Write(scales ? scaleSpan : valueSpan);
            });
        }
        finally
        {
            ArrayPool<float>.Shared.Return(floats);
            ArrayPool<byte>.Shared.Return(values);
            ArrayPool<byte>.Shared.Return(scaleBytes);
        }
    }

    public static void Convert(ISourceTensor source, DType target, Stream destination, ProgressReporter? progress)
    {
        if (!source.DType.IsFloatStorage())
            throw new InvalidDataException($"'{source.Name}' in {source.Origin} is {source.DType}; only float tensors are converted");
        if (source.DType == target)
        {
            ForEachChunk(source, progress, (raw, _) => destination.Write(raw));
            return;
        }
        int outSize = target.SizeOf();
        float[] floats = ArrayPool<float>.Shared.Rent(ChunkElements);
        byte[] outBuffer = ArrayPool<byte>.Shared.Rent(ChunkElements * outSize);
        try
        {
            ForEachChunk(source, progress, (raw, count) =>
            {
                BulkConvert.ToFloat32(source.DType, raw, floats.AsSpan(0, count));
                var converted = outBuffer.AsSpan(0, count * outSize);
                BulkConvert.FromFloat32(target, floats.AsSpan(0, count), converted);
                destination.Write(converted);
            });
        }
        finally
        {
            ArrayPool<float>.Shared.Return(floats);
            ArrayPool<byte>.Shared.Return(outBuffer);
        }
    }

    private delegate void ChunkHandler(Span<byte> raw, int count);

    /// <summary>
    /// Reads the source row-major in chunks of at most <see cref="ChunkElements"/> elements, hands each chunk's bytes and
    /// element count to <paramref name="handle"/>, and reports the bytes read; a source shorter than its shape says so.
    /// </summary>
    private static void ForEachChunk(ISourceTensor source, ProgressReporter? progress, ChunkHandler handle)
    {
        using var input = source.OpenRowMajor();
        int inSize = source.DType.SizeOf();
        byte[] inBuffer = ArrayPool<byte>.Shared.Rent(ChunkElements * inSize);
        try
        {
            long remaining = source.Shape.ElementCount;
            while (remaining > 0)
            {
                int count = (int)Math.Min(remaining, ChunkElements);
                var raw = inBuffer.AsSpan(0, count * inSize);
                input.ReadExactly(raw);
                handle(raw, count);
                remaining -= count;
                progress?.Advance(raw.Length);
            }
        }
        catch (EndOfStreamException e)
        {
            throw new InvalidDataException($"'{source.Name}' in {source.Origin}: the data ends before the {source.ByteLength} bytes its shape needs", e);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(inBuffer);
        }
    }
}
