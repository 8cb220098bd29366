namespace Clara.Engine.Backends.Ops;

/// <summary>
/// The operand rules of <see cref="IKernels.Embedding"/>: ids I32 [n], table [vocab, hidden] in any float storage,
/// output F32 [n, hidden]. Whether each id lies inside the vocabulary is data, checked where the ids are read.
/// </summary>
public static class EmbeddingRules
{
    public static (int Vocab, int Hidden) Check(Tensor ids, Tensor table, Tensor output)
    {
        OperandDTypes.RequireI32(ids, "embedding ids");
        OperandDTypes.RequireFloatStorage(table, "embedding table");
        OperandDTypes.RequireF32(output, "embedding output");
        if (table.Shape.Rank != 2) throw new ArgumentException($"embedding table must be [vocab, hidden], got {table.Shape}");
        int vocab = table.Shape[0], hidden = table.Shape[1];
        if (output.ElementCount != ids.ElementCount * hidden)
            throw new ArgumentException($"embedding output {output.Shape} does not match {ids.ElementCount} ids × {hidden}");
        return (vocab, hidden);
    }
}
