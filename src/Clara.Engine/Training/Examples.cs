namespace Clara.Engine.Training;

/// <summary>
/// The training stages of spec §6, by the names the CLI and data files use; <see cref="TrainingStage.Rank"/> is the
/// engine's own warm start of the query reasoner (§6.5 of docs/clara-spec.md), <see cref="TrainingStage.ScpRank"/> its
/// reading and ranking losses on one batch (§6.6).
/// </summary>
public enum TrainingStage { Lm, Scp, Instruct, E2e, Rank, ScpRank }

public static class TrainingStages
{
    public static string Name(this TrainingStage stage) => stage switch
    {
        TrainingStage.Lm => "lm",
        TrainingStage.Scp => "scp",
        TrainingStage.Instruct => "instruct",
        TrainingStage.E2e => "e2e",
        TrainingStage.Rank => "rank",
        TrainingStage.ScpRank => "scp-rank",
        _ => throw new ArgumentOutOfRangeException(nameof(stage)),
    };

    public static TrainingStage Parse(string name) => name switch
    {
        "lm" => TrainingStage.Lm,
        "scp" => TrainingStage.Scp,
        "instruct" => TrainingStage.Instruct,
        "e2e" => TrainingStage.E2e,
        "rank" => TrainingStage.Rank,
        "scp-rank" => TrainingStage.ScpRank,
        _ => throw new FormatException($"unknown training stage '{name}' (known: lm, scp, instruct, e2e, rank, scp-rank)"),
    };
}

/// <summary>A field of a training example that breaks the stage's rules; <see cref="Field"/> is its data-file name.</summary>
public sealed class ExampleFieldException(string field, string message) : FormatException($"{field}: {message}")
{
    public string Field { get; } = field;
}

/// <summary>
/// What a model allows an example to hold: token ids below <see cref="VocabSize"/>, sequences of at most
/// <see cref="MaxPositions"/> tokens, and (CLaRa stages) prompt slots found by <see cref="MemoryTokenIds"/>.
/// </summary>
public sealed record ExampleRules(int VocabSize, int MaxPositions, IReadOnlyList<int>? MemoryTokenIds = null)
{
    internal void CheckIds(IReadOnlyList<int> ids, string field, bool allowEmpty = false)
    {
        if (ids is null) throw new ExampleFieldException(field, "is missing");
        if (ids.Count == 0 && !allowEmpty) throw new ExampleFieldException(field, "is empty");
        for (int i = 0; i < ids.Count; i++)
            if ((uint)ids[i] >= (uint)VocabSize)
                throw new ExampleFieldException(field, $"id {ids[i]} at index {i} is outside the vocabulary of {VocabSize}");
    }

    internal int CountSlots(IReadOnlyList<int> prompt) =>
        Pipeline.MemoryPrompt.SlotStarts(prompt, MemoryTokenIds ?? throw new InvalidOperationException("these rules carry no memory-token ids")).Length;

    internal void CheckFits(int length, string what)
    {
        if (length > MaxPositions)
            throw new ExampleFieldException(what, $"{length} tokens do not fit the model's context of {MaxPositions}");
    }
}

/// <summary>A pre-tokenized training example of one stage (spec §6, §9). Ids exclude special tokens unless stated.</summary>
public abstract record TrainingExample
{
    public abstract TrainingStage Stage { get; }

    /// <summary>Throws <see cref="ExampleFieldException"/> naming the first field that breaks <paramref name="rules"/>.</summary>
    public abstract void Validate(ExampleRules rules);
}

/// <summary>
/// §6.4: next-token CE over the tokens of <paramref name="Ids"/> from <paramref name="LossFrom"/> on (data field
/// <c>ids</c>, at least two tokens). 1, every token after the first, is pretraining; a larger value is a
/// prompt/completion line whose loss covers only the completion (<c>prompt_ids</c> + <c>completion_ids</c>).
/// </summary>
public sealed record LmExample(IReadOnlyList<int> Ids, int LossFrom = 1) : TrainingExample
{
    public override TrainingStage Stage => TrainingStage.Lm;

    public override void Validate(ExampleRules rules)
    {
        rules.CheckIds(Ids, "ids");
        if (Ids.Count < 2) throw new ExampleFieldException("ids", "needs at least two tokens (one to read, one to predict)");
        if (LossFrom < 1 || LossFrom >= Ids.Count)
            throw new ExampleFieldException("completion_ids", $"must follow a non-empty prompt and hold at least one token (loss from token {LossFrom} of {Ids.Count})");
        rules.CheckFits(Ids.Count, "ids");
    }
}

/// <summary>
/// §6.1: the document (<c>doc_ids</c>) is compressed, its memory fills the one slot of <c>prompt_ids</c>, and the
/// generator predicts <c>target_ids</c> after the prompt.
/// </summary>
public sealed record ScpExample(IReadOnlyList<int> DocumentIds, IReadOnlyList<int> PromptIds, IReadOnlyList<int> TargetIds) : TrainingExample
{
    public override TrainingStage Stage => TrainingStage.Scp;

    public override void Validate(ExampleRules rules)
    {
        rules.CheckIds(DocumentIds, "doc_ids", allowEmpty: true);
        rules.CheckIds(PromptIds, "prompt_ids");
        rules.CheckIds(TargetIds, "target_ids");
        int slots = rules.CountSlots(PromptIds);
        if (slots != 1) throw new ExampleFieldException("prompt_ids", $"holds {slots} memory slots; an scp prompt has exactly one");
        rules.CheckFits(PromptIds.Count + TargetIds.Count, "target_ids");
    }
}

/// <summary>§6.2: the k documents of <c>docs</c> fill the k slots of <c>prompt_ids</c> in order; the generator predicts <c>answer_ids</c>.</summary>
public sealed record InstructExample(IReadOnlyList<IReadOnlyList<int>> Docs, IReadOnlyList<int> PromptIds, IReadOnlyList<int> AnswerIds) : TrainingExample
{
    public override TrainingStage Stage => TrainingStage.Instruct;

    public override void Validate(ExampleRules rules)
    {
        if (Docs is null || Docs.Count == 0) throw new ExampleFieldException("docs", "needs at least one document");
        for (int i = 0; i < Docs.Count; i++) rules.CheckIds(Docs[i], $"docs[{i}]", allowEmpty: true);
        rules.CheckIds(PromptIds, "prompt_ids");
        rules.CheckIds(AnswerIds, "answer_ids");
        int slots = rules.CountSlots(PromptIds);
        if (slots != Docs.Count) throw new ExampleFieldException("prompt_ids", $"holds {slots} memory slots for {Docs.Count} documents");
        rules.CheckFits(PromptIds.Count + AnswerIds.Count, "answer_ids");
    }
}

/// <summary>
/// §6.3 / §9: the question (<c>question_ids</c>) is scored against the N candidates of <c>docs</c>; the straight-through
/// top-k fills the k slots of <c>prompt_ids</c> (k = its slot count, at most N); the generator predicts <c>answer_ids</c>.
/// </summary>
public sealed record E2eExample(IReadOnlyList<int> QuestionIds, IReadOnlyList<IReadOnlyList<int>> Docs, IReadOnlyList<int> PromptIds,
    IReadOnlyList<int> AnswerIds) : TrainingExample
{
    public override TrainingStage Stage => TrainingStage.E2e;

    /// <summary>k: how many documents the top-k picks, read from the prompt's slots.</summary>
    public int SlotCount(ExampleRules rules) => rules.CountSlots(PromptIds);

    public override void Validate(ExampleRules rules)
    {
        rules.CheckIds(QuestionIds, "question_ids", allowEmpty: true);
        if (Docs is null || Docs.Count == 0) throw new ExampleFieldException("docs", "needs at least one candidate document");
        for (int i = 0; i < Docs.Count; i++) rules.CheckIds(Docs[i], $"docs[{i}]", allowEmpty: true);
        rules.CheckIds(PromptIds, "prompt_ids");
        rules.CheckIds(AnswerIds, "answer_ids");
        int k = rules.CountSlots(PromptIds);
        if (k == 0) throw new ExampleFieldException("prompt_ids", "holds no memory slot");
        if (k > Docs.Count) throw new ExampleFieldException("docs", $"k = {k} prompt slots but only {Docs.Count} candidates (k > N)");
        rules.CheckFits(PromptIds.Count + AnswerIds.Count, "answer_ids");
    }
}

/// <summary>
/// The query reasoner's warm start (docs/clara-spec.md §6.5): the question (<c>question_ids</c>) is scored against the N
/// candidates of <c>docs</c> and the loss is the cross-entropy of softmax(scores / τ) at <c>gold</c>.
/// </summary>
public sealed record RankExample(IReadOnlyList<int> QuestionIds, IReadOnlyList<IReadOnlyList<int>> Docs, int Gold) : TrainingExample
{
    public override TrainingStage Stage => TrainingStage.Rank;

    public override void Validate(ExampleRules rules)
    {
        rules.CheckIds(QuestionIds, "question_ids", allowEmpty: true);
        if (Docs is null || Docs.Count < 2) throw new ExampleFieldException("docs", "needs at least two candidates (the gold and one to rank below it)");
        for (int i = 0; i < Docs.Count; i++) rules.CheckIds(Docs[i], $"docs[{i}]", allowEmpty: true);
        if (Gold < 0 || Gold >= Docs.Count) throw new ExampleFieldException("gold", $"{Gold} is not an index into the {Docs.Count} documents");
    }
}

/// <summary>
/// docs/clara-spec.md §6.6: the question (<c>question_ids</c>) is ranked among the N candidates of <c>docs</c> at
/// <c>gold</c> (the rank loss), and the gold document's memory fills the one slot of <c>prompt_ids</c> for the
/// generator to predict <c>answer_ids</c> (the SCP loss), in one batch.
/// </summary>
public sealed record ScpRankExample(IReadOnlyList<int> QuestionIds, IReadOnlyList<IReadOnlyList<int>> Docs, int Gold,
    IReadOnlyList<int> PromptIds, IReadOnlyList<int> AnswerIds) : TrainingExample
{
    public override TrainingStage Stage => TrainingStage.ScpRank;

    public override void Validate(ExampleRules rules)
    {
        new RankExample(QuestionIds, Docs, Gold).Validate(rules);
        rules.CheckIds(PromptIds, "prompt_ids");
        rules.CheckIds(AnswerIds, "answer_ids");
        int slots = rules.CountSlots(PromptIds);
        if (slots != 1) throw new ExampleFieldException("prompt_ids", $"holds {slots} memory slots; an scp-rank prompt has exactly one (the gold document's)");
        rules.CheckFits(PromptIds.Count + AnswerIds.Count, "answer_ids");
    }
}
