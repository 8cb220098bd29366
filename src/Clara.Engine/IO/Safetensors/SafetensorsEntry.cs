using Clara.Engine.Tensors;

namespace Clara.Engine.IO.Safetensors;

/// <summary>One tensor of a safetensors file.</summary>
/// <param name="DataOffset">Absolute byte offset of the tensor's first byte in the file (not relative to the data section).</param>
/// <param name="ByteLength">Shape element count × dtype size; proven equal to the header's data_offsets span.</param>
public sealed record SafetensorsEntry(string Name, DType DType, Shape Shape, long DataOffset, long ByteLength)
{
    public long ElementCount => Shape.ElementCount;
}
