using Clara.Engine.Tensors;
using Clara.Engine.IO;
using Clara.Engine.IO.Safetensors;

namespace Clara.Convert.Output;

/// <summary>Reads a memory-mapped tensor in bounded chunks (spans cannot exceed 2 GiB; tensors can).</summary>
internal static unsafe class SafetensorsChunks
{
    public const int ChunkElements = 1 << 20;

    /// <summary>Reads elements [first, first + destination.Length) of a float tensor as fp32.</summary>
    public static void ReadFloat32(SafetensorsFile file, SafetensorsEntry entry, long first, Span<float> destination)
    {
        int size = entry.DType.SizeOf();
        var raw = new ReadOnlySpan<byte>(file.GetPointer(entry) + first * size, destination.Length * size);
        BulkConvert.ToFloat32(entry.DType, raw, destination);
    }
}
