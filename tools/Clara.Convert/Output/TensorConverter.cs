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

    public static void Convert(ISourceTensor source, DType target, Stream destination, ProgressReporter? progress)
    {
        if (!source.DType.IsFloatStorage())
            throw new InvalidDataException($"'{source.Name}' in {source.Origin} is {source.DType}; only float tensors are converted");
        using var input = source.OpenRowMajor();
        int inSize = source.DType.SizeOf(), outSize = target.SizeOf();
        byte[] inBuffer = ArrayPool<byte>.Shared.Rent(ChunkElements * inSize);
        float[] floats = source.DType == target ? [] : ArrayPool<float>.Shared.Rent(ChunkElements);
        byte[] outBuffer = source.DType == target ? [] : ArrayPool<byte>.Shared.Rent(ChunkElements * outSize);
        try
        {
            long remaining = source.Shape.ElementCount;
            while (remaining > 0)
            {
                int count = (int)Math.Min(remaining, ChunkElements);
                var raw = inBuffer.AsSpan(0, count * inSize);
                input.ReadExactly(raw);
                if (source.DType == target)
                {
                    destination.Write(raw);
                }
                else
                {
                    BulkConvert.ToFloat32(source.DType, raw, floats.AsSpan(0, count));
                    var converted = outBuffer.AsSpan(0, count * outSize);
                    BulkConvert.FromFloat32(target, floats.AsSpan(0, count), converted);
                    destination.Write(converted);
                }
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
            if (floats.Length > 0) ArrayPool<float>.Shared.Return(floats);
            if (outBuffer.Length > 0) ArrayPool<byte>.Shared.Return(outBuffer);
        }
    }
}
