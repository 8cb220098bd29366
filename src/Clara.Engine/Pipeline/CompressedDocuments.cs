namespace Clara.Engine.Pipeline;

/// <summary>
/// Compressed documents: memory [count, n_mem, hidden] and each one's §2 alignment loss. The memory is
/// held in chunks of whole documents (<see cref="DocumentMemoryLayout"/>), so a corpus larger than one
/// .NET array (100 000 documents at 16 × 4096) can be held and scored chunk by chunk.
/// </summary>
public sealed class CompressedDocuments
{
    private readonly float[][] _chunks;

    /// <summary>One flat array (a corpus that fits one .NET array).</summary>
    public CompressedDocuments(int count, int memoryTokens, int hidden, float[] memory, float[] mse)
        : this(count, memoryTokens, hidden, [memory], mse, maxChunkFloats: Math.Max(memory.Length, 1))
    {
    }

    /// <summary>Chunks laid out as <see cref="DocumentMemoryLayout"/>(count, n_mem·hidden, <paramref name="maxChunkFloats"/>) says.</summary>
    public CompressedDocuments(int count, int memoryTokens, int hidden, IReadOnlyList<float[]> chunks, float[] mse,
        int maxChunkFloats = DocumentMemoryLayout.DefaultMaxChunkFloats)
    {
        if (mse.Length != count) throw new ArgumentException($"mse holds {mse.Length} values for {count} documents");
        Layout = new DocumentMemoryLayout(count, checked(memoryTokens * hidden), maxChunkFloats);
        long held = chunks.Sum(c => (long)c.Length);
        if (held != Layout.TotalFloats) throw new ArgumentException($"memory holds {held} values, expected {count}×{memoryTokens}×{hidden}");
        if (count > 0 && chunks.Count != Layout.ChunkCount) throw new ArgumentException($"memory is in {chunks.Count} chunk(s), the layout needs {Layout.ChunkCount}");
        for (int c = 0; c < Layout.ChunkCount; c++)
            if (chunks[c].Length != Layout.FloatsIn(c)) throw new ArgumentException($"memory chunk {c} holds {chunks[c].Length} values, expected {Layout.FloatsIn(c)}");
        Count = count;
        MemoryTokens = memoryTokens;
        Hidden = hidden;
        _chunks = count == 0 ? [] : chunks.ToArray();
        Mse = mse;
    }

    public int Count { get; }
    public int MemoryTokens { get; }
    public int Hidden { get; }
    public DocumentMemoryLayout Layout { get; }

    /// <summary>The memory chunks, each whole documents, in order.</summary>
    public IReadOnlyList<float[]> Chunks => _chunks;

    /// <summary>The whole memory as one array; only when it is held in one chunk (use <see cref="Chunks"/> otherwise).</summary>
    public float[] Memory => _chunks.Length switch
    {
        0 => [],
        1 => _chunks[0],
        _ => throw new InvalidOperationException($"the memory of {Count} documents is held in {_chunks.Length} chunks; read it through Chunks or Document(i)"),
    };

    public float[] Mse { get; }

    /// <summary>Writes document <c>index</c>'s flattened memory into <c>destination</c> (n_mem·hidden floats).</summary>
    public delegate void DocumentWriter(int index, Span<float> destination);

    /// <summary>Gathers <paramref name="count"/> documents into chunks, one document at a time (64-bit layout, no single huge array).</summary>
    public static CompressedDocuments Gather(int count, int memoryTokens, int hidden, DocumentWriter write, float[] mse,
        int maxChunkFloats = DocumentMemoryLayout.DefaultMaxChunkFloats)
    {
        var layout = new DocumentMemoryLayout(count, checked(memoryTokens * hidden), maxChunkFloats);
        var chunks = new float[layout.ChunkCount][];
        for (int c = 0; c < chunks.Length; c++)
        {
            var chunk = chunks[c] = new float[layout.FloatsIn(c)];
            int first = layout.FirstDocument(c);
            for (int d = 0; d < layout.DocumentsIn(c); d++)
                write(first + d, chunk.AsSpan(d * layout.Width, layout.Width));
        }
        return new CompressedDocuments(count, memoryTokens, hidden, chunks, mse, maxChunkFloats);
    }

    /// <summary>Document i's flattened memory (n_mem·hidden), the vector reranking compares with the query.</summary>
    public ReadOnlyMemory<float> Document(int index)
    {
        var (chunk, offset) = Layout.Locate(index);
        return _chunks[chunk].AsMemory(offset, Layout.Width);
    }
}
