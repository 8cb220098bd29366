namespace Clara.Engine.Tokenization;

/// <summary>A generator prompt: its ids and where each of its k memory slots begins (slot j at <c>SlotStarts[j]</c>).</summary>
public sealed record ClaraPrompt(int[] Ids, int[] SlotStarts);

/// <summary>
/// Builds CLaRa's generator prompt (spec §5) in the Mistral chat template: the instruction, the k memory slots
/// (each the n_mem memory-token ids then the separator id, spliced in as ids, never through the tokenizer) and
/// the question.
/// </summary>
/// <remarks>
/// The wording is the reference's generation prompt (apple/ml-clara, modeling_clara.py,
/// <c>_blend_prompt_and_selected_memory_tokens</c>: a system prompt and the user text
/// <c>"Background:\n{slots}\n\nQuestion:{question}"</c>; Mistral-v0.2's template has no system role, so, as the
/// reference's fallback does, the system prompt and the user text are joined by "\n" into one user turn). It was
/// read from a public copy of that file, not from Apple's repository itself; it lives in
/// <see cref="SystemInstruction"/>, <see cref="BackgroundHeader"/> and <see cref="QuestionHeader"/> only.
/// Exact reference ids can always be passed as prompt ids instead (spec §9).
/// </remarks>
public sealed class ClaraPromptBuilder
{
    public const string SystemInstruction =
        "You are a helpful assistant. Your task is to extract relevant information from provided documents and to answer to questions as briefly as possible.";
    public const string BackgroundHeader = "\nBackground:\n";
    public const string QuestionHeader = "\n\nQuestion:";

    private readonly MistralChatTemplate _template;
    private readonly int[] _slot;
    private readonly HashSet<int> _slotIds;

    /// <param name="memoryTokenIds">The n_mem memory-token ids of one slot (clara.json mem_token_ids).</param>
    /// <param name="separatorId">The id that ends each slot (clara.json sep_token_id).</param>
    public ClaraPromptBuilder(MistralChatTemplate template, IReadOnlyList<int> memoryTokenIds, int separatorId)
    {
        _template = template ?? throw new ArgumentNullException(nameof(template));
        ArgumentNullException.ThrowIfNull(memoryTokenIds);
        if (memoryTokenIds.Count == 0) throw new ArgumentException("a memory slot needs at least one memory-token id", nameof(memoryTokenIds));
        if (memoryTokenIds.Any(id => id < 0)) throw new ArgumentOutOfRangeException(nameof(memoryTokenIds), "memory-token ids must be non-negative");
        ArgumentOutOfRangeException.ThrowIfNegative(separatorId);
        _slot = [.. memoryTokenIds, separatorId];
        _slotIds = _slot.ToHashSet();
    }

    /// <summary>The prompt for a question given as text.</summary>
    public ClaraPrompt Build(string question, int k)
    {
        ArgumentNullException.ThrowIfNull(question);
        return Build([PromptPart.Text(QuestionHeader + question)], k);
    }

    /// <summary>The prompt for a question given as ids (spliced after the question header, like the slots).</summary>
    public ClaraPrompt Build(IReadOnlyList<int> questionIds, int k)
    {
        ArgumentNullException.ThrowIfNull(questionIds);
        return Build([PromptPart.Text(QuestionHeader), PromptPart.Ids(questionIds)], k);
    }

    private ClaraPrompt Build(IReadOnlyList<PromptPart> question, int k)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(k, 1);
        var slots = new int[k * _slot.Length];
        for (int j = 0; j < k; j++) _slot.CopyTo(slots, j * _slot.Length);
        PromptPart[] content = [PromptPart.Text(SystemInstruction + BackgroundHeader), PromptPart.Ids(slots), .. question];
        int[] ids = _template.Render(content, out int[] idsStarts);

        // Memory or separator ids anywhere but the slots (a question that spells "<MEM0>", say) would shift
        // which positions the memory is spliced into.
        int slotsStart = idsStarts[0], slotsEnd = slotsStart + slots.Length;
        for (int i = 0; i < ids.Length; i++)
            if ((i < slotsStart || i >= slotsEnd) && _slotIds.Contains(ids[i]))
                throw new ArgumentException($"the question holds the memory/separator token id {ids[i]} (position {i}); it would be taken for a memory slot");

        var slotStarts = Enumerable.Range(0, k).Select(j => slotsStart + j * _slot.Length).ToArray();
        return new ClaraPrompt(ids, slotStarts);
    }
}
