using Clara.Engine.Pipeline;

namespace Clara.Engine.Bench.Models;

/// <summary>
/// The CLaRa geometry of the model benchmarks: compression rate 16 and, by default, 256-token documents, so every
/// encoder row is L0 + n_mem = (256 + 3) + 16 = 275 positions. Special tokens take the top of the vocabulary.
/// </summary>
public static class BenchClaraConfig
{
    public const int CompressionRate = 16;
    public const int DefaultDocumentTokens = 256;

    public static ClaraConfig Create(int vocabSize, int documentTokens = DefaultDocumentTokens)
    {
        if (documentTokens <= 0 || documentTokens % CompressionRate != 0)
            throw new ArgumentException($"document length {documentTokens} must be a positive multiple of the compression rate {CompressionRate}");
        int memoryTokens = documentTokens / CompressionRate;
        int first = vocabSize - memoryTokens - 4;
        return new ClaraConfig
        {
            DocMaxLength = documentTokens,
            CompressionRate = CompressionRate,
            MemTokenIds = Enumerable.Range(first, memoryTokens).ToArray(),
            EncTokenId = vocabSize - 4,
            SepTokenId = vocabSize - 3,
            AeTokenId = vocabSize - 2,
            PadTokenId = vocabSize - 1,
            BosTokenId = 1,
            EosTokenId = 2,
            TopK = 5,
            Temperature = 0.02f,
        };
    }

    /// <summary>The document length whose encoder rows are <paramref name="rowLength"/> long: L = d + 3 + d/16.</summary>
    public static int DocumentTokensForRow(int rowLength)
    {
        int units = rowLength - 3;
        if (units <= 0 || units % (CompressionRate + 1) != 0)
            throw new Clara.CommandLine.UsageException($"an encoder row of {rowLength} positions is not 3 + 17·m (doc_max_length 16·m at rate 16); 275 is the CLaRa default");
        return units / (CompressionRate + 1) * CompressionRate;
    }

    /// <summary>Seeded random ordinary tokens (ids 3 up to the first special id), one list per text.</summary>
    public static IReadOnlyList<IReadOnlyList<int>> RandomTexts(ClaraConfig config, int count, int length, int seed)
    {
        var random = new Random(seed);
        int firstSpecial = config.MemTokenIds.Min();
        return Enumerable.Range(0, count)
            .Select(_ => (IReadOnlyList<int>)Enumerable.Range(0, length).Select(_ => random.Next(3, firstSpecial)).ToArray())
            .ToList();
    }
}
