namespace Clara.Engine.Pipeline;

/// <summary>Compressed documents: memory [count, n_mem, hidden] and each one's §2 alignment loss.</summary>
public sealed class CompressedDocuments
{
    public CompressedDocuments(int count, int memoryTokens, int hidden, float[] memory, float[] mse)
    {
        if (memory.Length != (long)count * memoryTokens * hidden) throw new ArgumentException($"memory holds {memory.Length} values, expected {count}×{memoryTokens}×{hidden}");
        if (mse.Length != count) throw new ArgumentException($"mse holds {mse.Length} values for {count} documents");
        Count = count;
        MemoryTokens = memoryTokens;
        Hidden = hidden;
        Memory = memory;
        Mse = mse;
    }

    public int Count { get; }
    public int MemoryTokens { get; }
    public int Hidden { get; }
    public float[] Memory { get; }
    public float[] Mse { get; }

    /// <summary>Document i's flattened memory (n_mem·hidden), the vector reranking compares with the query.</summary>
    public ReadOnlyMemory<float> Document(int index)
    {
        if ((uint)index >= (uint)Count) throw new ArgumentOutOfRangeException(nameof(index), $"document {index} of {Count}");
        int width = MemoryTokens * Hidden;
        return Memory.AsMemory(index * width, width);
    }
}
