using Clara.Engine.Models;

namespace Clara.Engine.Pipeline;

/// <summary>
/// Runs documents (or questions) through the base model with one adapter in the §2 layout and reads the final-norm
/// hidden states at the memory positions. Documents go through in batches, one forward each, padding masked.
/// </summary>
/// <remarks>
/// Leading padding is dropped (<see cref="EncoderLayout.TrimmedTextLength"/>): texts are grouped by their trimmed
/// length and each group runs in its own batches, so a text's forward has the same shape whatever other texts are
/// compressed with it, and its memory the same bits.
/// </remarks>
public sealed class Compressor(DecoderModel model, ClaraConfig config)
{
    private readonly EncoderLayout _layout = new(config);

    public CompressedDocuments Compress(IReadOnlyList<IReadOnlyList<int>> texts, string adapter, int batchSize = 8,
        IProgress<int>? progress = null, CancellationToken cancellation = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        int n = texts.Count, nMem = config.MemoryTokens, hidden = model.Config.HiddenSize;
        var memory = new float[(long)n * nMem * hidden];
        var mse = new float[n];
        int done = 0;
        foreach (var group in Enumerable.Range(0, n).GroupBy(i => _layout.TrimmedTextLength(texts[i])))
        {
            int textLength = group.Key, length = textLength + nMem;
            foreach (var members in group.Chunk(batchSize))
            {
                cancellation.ThrowIfCancellationRequested();
                int count = members.Length;
                var (ids, mask, positions) = _layout.Build(members.Select(i => texts[i]).ToList(), textLength);
                using var cache = model.CreateCache(count, length);
                var states = model.Forward(cache, new ForwardInputs(count, length, ids, mask, positions) { WantLogits = false }, adapter).Hidden;
                for (int d = 0; d < count; d++)
                {
                    int index = members[d];
                    var rows = states.AsSpan(d * length * hidden, length * hidden);
                    rows.Slice(textLength * hidden, nMem * hidden).CopyTo(memory.AsSpan(index * nMem * hidden, nMem * hidden));
                    mse[index] = AlignmentLoss(rows, mask.AsSpan(d * length, length), hidden, textLength);
                }
                done += count;
                progress?.Report(done);
            }
        }
        return new CompressedDocuments(n, nMem, hidden, memory, mse);
    }

    /// <summary>
    /// §2: mean over hidden dims of (mean of the attended text positions − mean of the memory positions)², in doubles
    /// so long documents do not lose the small difference.
    /// </summary>
    internal static float AlignmentLoss(ReadOnlySpan<float> rows, ReadOnlySpan<int> mask, int hidden, int textLength)
    {
        int length = mask.Length, memoryCount = length - textLength;
        var textMean = new double[hidden];
        var memoryMean = new double[hidden];
        int textCount = 0;
        for (int t = 0; t < length; t++)
        {
            var row = rows.Slice(t * hidden, hidden);
            if (t >= textLength)
            {
                for (int h = 0; h < hidden; h++) memoryMean[h] += row[h];
            }
            else if (mask[t] != 0)
            {
                textCount++;
                for (int h = 0; h < hidden; h++) textMean[h] += row[h];
            }
        }
        double sum = 0;
        for (int h = 0; h < hidden; h++)
        {
            double d = textMean[h] / Math.Max(1, textCount) - memoryMean[h] / memoryCount;
            sum += d * d;
        }
        return (float)(sum / hidden);
    }
}
