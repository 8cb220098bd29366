using Clara.Engine.Pipeline;

namespace Clara.Engine.Training;

/// <summary>
/// The generator's input for a batch of (prompt, answer) pairs: each row is prompt + answer, left-padded to the longest,
/// positions counting from the first real token (padding at 1, as the inference pipeline and HF generate do), and the
/// rows that predict each answer token (the row before it) with that token as the target. Slot rows list, example by
/// example and slot by slot, the n_mem placeholder rows the memories replace.
/// </summary>
internal sealed class GeneratorBatch
{
    public GeneratorBatch(IReadOnlyList<(IReadOnlyList<int> Prompt, IReadOnlyList<int> Answer)> rows, int padId, IReadOnlyList<int>? memoryIds)
    {
        Batch = rows.Count;
        Width = rows.Max(r => r.Prompt.Count + r.Answer.Count);
        Ids = new int[Batch * Width];
        Mask = new int[Batch * Width];
        Positions = new int[Batch * Width];
        var targetRows = new List<int>();
        var targets = new List<int>();
        var slotRows = new List<int>();
        SlotCounts = new int[Batch];
        for (int b = 0; b < Batch; b++)
        {
            var (prompt, answer) = rows[b];
            int length = prompt.Count + answer.Count, pad = Width - length, o = b * Width;
            for (int t = 0; t < Width; t++)
            {
                bool real = t >= pad;
                Ids[o + t] = !real ? padId : t - pad < prompt.Count ? prompt[t - pad] : answer[t - pad - prompt.Count];
                Mask[o + t] = real ? 1 : 0;
                Positions[o + t] = real ? t - pad : 1;
            }
            for (int i = 0; i < answer.Count; i++)
            {
                targetRows.Add(o + pad + prompt.Count + i - 1);
                targets.Add(answer[i]);
            }
            if (memoryIds is null) continue;
            var starts = MemoryPrompt.SlotStarts(prompt, memoryIds);
            SlotCounts[b] = starts.Length;
            foreach (var s in starts)
                for (int m = 0; m < memoryIds.Count; m++) slotRows.Add(o + pad + s + m);
        }
        TargetRows = [.. targetRows];
        Targets = [.. targets];
        SlotRows = [.. slotRows];
    }

    public int Batch { get; }
    public int Width { get; }
    public int[] Ids { get; }
    public int[] Mask { get; }
    public int[] Positions { get; }
    public int[] TargetRows { get; }
    public int[] Targets { get; }
    public int[] SlotRows { get; }
    public int[] SlotCounts { get; }
}
