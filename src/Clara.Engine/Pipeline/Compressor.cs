using Clara.Engine.Models;

namespace Clara.Engine.Pipeline;

/// <summary>
/// Runs documents (or questions) through the base model with one adapter in the §2 layout and reads the final-norm
/// hidden states at the memory positions. Documents go through in batches, one forward each, padding masked.
/// </summary>
public sealed class Compressor(DecoderModel model, ClaraConfig config)
{
    private readonly EncoderLayout _layout = new(config);

    public CompressedDocuments Compress(IReadOnlyList<IReadOnlyList<int>> texts, string adapter, int batchSize = 8,
        IProgress<int>? progress = null, CancellationToken cancellation = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        int n = texts.Count, nMem = config.MemoryTokens, hidden = model.Config.HiddenSize, length = _layout.Length;
        var memory = new float[(long)n * nMem * hidden];
        var mse = new float[n];
        for (int start = 0; start < n; start += batchSize)
        {
            cancellation.ThrowIfCancellationRequested();
            int count = Math.Min(batchSize, n - start);
            var chunk = Enumerable.Range(start, count).Select(i => texts[i]).ToList();
            var (ids, mask, positions) = _layout.Build(chunk);
            using var cache = model.CreateCache(count, length);
            var states = model.Forward(cache, new ForwardInputs(count, length, ids, mask, positions) { WantLogits = false }, adapter).Hidden;
            for (int d = 0; d < count; d++)
            {
                var rows = states.AsSpan(d * length * hidden, length * hidden);
                rows.Slice(config.EncoderTextLength * hidden, nMem * hidden).CopyTo(memory.AsSpan((start + d) * nMem * hidden, nMem * hidden));
                mse[start + d] = AlignmentLoss(rows, mask.AsSpan(d * length, length), hidden, config.EncoderTextLength);
            }
            progress?.Report(start + count);
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
