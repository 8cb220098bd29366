namespace Clara.Engine.Pipeline;

/// <summary>
/// Where document i's flattened memory (n_mem·hidden floats) lives when a corpus is held in chunks of
/// whole documents. A 100 000-document corpus at 16 × 4096 is 6.5·10⁹ floats: past the .NET array limit
/// and past int offsets from document 32 768 on, so every offset here is 64-bit and no chunk exceeds
/// <see cref="MaxChunkFloats"/>.
/// </summary>
public readonly record struct DocumentMemoryLayout
{
    /// <summary>Default chunk size: 2²⁸ floats (1 GiB), well under the array limit and a bounded upload.</summary>
    public const int DefaultMaxChunkFloats = 1 << 28;

    public DocumentMemoryLayout(int count, int width, int maxChunkFloats = DefaultMaxChunkFloats)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(width);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxChunkFloats);
        Count = count;
        Width = width;
        MaxChunkFloats = maxChunkFloats;
        // At least one document per chunk even when one document is wider than the limit.
        DocumentsPerChunk = Math.Max(1, maxChunkFloats / width);
    }

    public int Count { get; }
    public int Width { get; }
    public int MaxChunkFloats { get; }
    public int DocumentsPerChunk { get; }

    /// <summary>Floats in the whole corpus (may exceed int).</summary>
    public long TotalFloats => (long)Count * Width;

    public int ChunkCount => Count == 0 ? 0 : (int)(((long)Count + DocumentsPerChunk - 1) / DocumentsPerChunk);

    /// <summary>First document of chunk <paramref name="chunk"/>.</summary>
    public int FirstDocument(int chunk) => checked(chunk * DocumentsPerChunk);

    /// <summary>Documents held by chunk <paramref name="chunk"/> (the last may be short).</summary>
    public int DocumentsIn(int chunk) => Math.Min(DocumentsPerChunk, Count - FirstDocument(chunk));

    /// <summary>Floats held by chunk <paramref name="chunk"/>; fits an int because it is at most max(MaxChunkFloats, Width).</summary>
    public int FloatsIn(int chunk) => checked(DocumentsIn(chunk) * Width);

    /// <summary>Offset of document <paramref name="index"/> in the flat corpus (64-bit).</summary>
    public long FlatOffset(int index) => (long)index * Width;

    /// <summary>The chunk that holds document <paramref name="index"/> and the document's offset inside it.</summary>
    public (int Chunk, int Offset) Locate(int index)
    {
        if ((uint)index >= (uint)Count) throw new ArgumentOutOfRangeException(nameof(index), $"document {index} of {Count}");
        int chunk = index / DocumentsPerChunk;
        return (chunk, checked((index - chunk * DocumentsPerChunk) * Width));
    }
}
