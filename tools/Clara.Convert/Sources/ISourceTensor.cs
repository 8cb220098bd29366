using Clara.Engine.Tensors;

namespace Clara.Convert.Sources;

/// <summary>A tensor in one of the input files, readable front to back in row-major order.</summary>
public interface ISourceTensor
{
    /// <summary>The tensor's name in its file (e.g. <c>model.layers.0.self_attn.q_proj.weight</c>).</summary>
    string Name { get; }

    /// <summary>Where it comes from, for messages: the file, plus the entry for nested pickles.</summary>
    string Origin { get; }

    DType DType { get; }
    Shape Shape { get; }
    long ByteLength { get; }

    /// <summary>A stream of exactly <see cref="ByteLength"/> bytes, little-endian, row-major.</summary>
    Stream OpenRowMajor();
}
