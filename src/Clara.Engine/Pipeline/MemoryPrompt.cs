namespace Clara.Engine.Pipeline;

/// <summary>
/// A generator prompt with k memory slots (spec §5): each slot is the n_mem memory-token ids followed by the
/// separator. Slot j is the j-th non-overlapping occurrence of the memory-id sequence, left to right; its
/// placeholders are replaced by the rows of the j-th selected document's memory.
/// </summary>
public static class MemoryPrompt
{
    public static int[] SlotStarts(IReadOnlyList<int> prompt, IReadOnlyList<int> memoryIds)
    {
        var starts = new List<int>();
        int i = 0;
        while (i + memoryIds.Count <= prompt.Count)
        {
            bool match = true;
            for (int m = 0; m < memoryIds.Count && match; m++) match = prompt[i + m] == memoryIds[m];
            if (match) { starts.Add(i); i += memoryIds.Count; }
            else i++;
        }
        return starts.ToArray();
    }

    /// <summary>The k slots as ids: (memory ids, separator) × k.</summary>
    public static int[] Slots(ClaraConfig config, int k) =>
        Enumerable.Range(0, k).SelectMany(_ => config.MemTokenIds.Append(config.SepTokenId)).ToArray();

    /// <summary>
    /// The prompt used when the caller gives neither text nor prompt ids: &lt;s&gt;, the slots, the question ids.
    /// With a tokenizer the chat template is used instead.
    /// </summary>
    public static int[] Minimal(ClaraConfig config, IReadOnlyList<int> question, int k) =>
        [config.BosTokenId, .. Slots(config, k), .. question];
}
