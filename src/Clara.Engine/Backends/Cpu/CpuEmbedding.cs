using Clara.Engine.Backends.Ops;

namespace Clara.Engine.Backends.Cpu;

/// <summary>CPU twin of kernels/embedding.cu: output[i] = table[ids[i]].</summary>
internal static class CpuEmbedding
{
    public static void Forward(Tensors.Tensor ids, Tensors.Tensor table, Tensors.Tensor output)
    {
        var (vocab, hidden) = EmbeddingRules.Check(ids, table, output);
        var idSpan = CpuTensor.I32(ids, "embedding ids");
        var outSpan = CpuTensor.F32(output, "embedding output");
        for (int i = 0; i < idSpan.Length; i++)
        {
            int id = idSpan[i];
            if ((uint)id >= (uint)vocab)
                throw new ArgumentOutOfRangeException(nameof(ids), $"token id {id} at position {i} is outside the vocabulary of {vocab}");
            WeightRows.Read(table, (long)id * hidden, outSpan.Slice(i * hidden, hidden));
        }
    }
}
