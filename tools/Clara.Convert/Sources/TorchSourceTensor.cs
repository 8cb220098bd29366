using Clara.Convert.Torch;
using Clara.Engine.Tensors;

namespace Clara.Convert.Sources;

/// <summary>A tensor of a torch.save file.</summary>
internal sealed class TorchSourceTensor(TorchCheckpointFile file, TorchNamedTensor tensor, string origin) : ISourceTensor
{
    public string Name => tensor.Name;
    public string Origin => origin;
    public DType DType => tensor.Tensor.DType;
    public Shape Shape { get; } = Shape.Of(tensor.Tensor.Size);
    public long ByteLength => tensor.Tensor.ElementCount * DType.SizeOf();
    public Stream OpenRowMajor() => TorchTensorData.OpenRowMajor(file, tensor.Name, tensor.Tensor);
}
