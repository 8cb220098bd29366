namespace Clara.Engine.Backends.Cpu;

/// <summary>CPU twin of kernels/embedding.cu: output[i] = table[ids[i]].</summary>
internal static class CpuEmbedding
{
    public static void Forward(Tensors.Tensor ids, Tensors.Tensor table, Tensors.Tensor output)
    {
        var idSpan = CpuTensor.I32(ids, "embedding ids");
        WeightRows.Require(table, "embedding table");
        var outSpan = CpuTensor.F32(output, "embedding output");
        if (table.Shape.Rank != 2) throw new ArgumentException($"embedding table must be [vocab, hidden], got {table.Shape}");
        int vocab = table.Shape[0], hidden = table.Shape[1];
        if (outSpan.Length != (long)idSpan.Length * hidden)
            throw new ArgumentException($"embedding output {output.Shape} does not match {idSpan.Length} ids × {hidden}");
        for (int i = 0; i < idSpan.Length; i++)
        {
            int id = idSpan[i];
            if ((uint)id >= (uint)vocab)
                throw new ArgumentOutOfRangeException(nameof(ids), $"token id {id} at position {i} is outside the vocabulary of {vocab}");
            WeightRows.Read(table, (long)id * hidden, outSpan.Slice(i * hidden, hidden));
        }
    }
}
