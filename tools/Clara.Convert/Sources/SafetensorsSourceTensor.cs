using Clara.Engine.IO.Safetensors;
using Clara.Engine.Tensors;

namespace Clara.Convert.Sources;

/// <summary>A tensor of a memory-mapped safetensors file; reading it touches only its own pages.</summary>
internal sealed unsafe class SafetensorsSourceTensor(SafetensorsFile file, SafetensorsEntry entry) : ISourceTensor
{
    public string Name => entry.Name;
    public string Origin => file.Path;
    public DType DType => entry.DType;
    public Shape Shape => entry.Shape;
    public long ByteLength => entry.ByteLength;
    public Stream OpenRowMajor() => new UnmanagedMemoryStream(file.GetPointer(entry), entry.ByteLength);
}
