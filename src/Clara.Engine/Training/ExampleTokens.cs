namespace Clara.Engine.Training;

/// <summary>How many tokens an example contributes: its target tokens (its weight in a mean loss) and every id it holds.</summary>
public sealed record ExampleTokens(Func<TrainingExample, int> Targets, Func<TrainingExample, int> Inputs)
{
    /// <summary>
    /// The stages of spec §6: the targets are the tokens the CE runs over (lm: every token but the first; scp:
    /// target_ids; instruct, e2e, scp-rank: answer_ids; rank: the one gold choice); the inputs are all ids of the example
    /// (documents, question, prompt, target).
    /// </summary>
    public static ExampleTokens Stages { get; } = new(TargetsOf, InputsOf);

    private static int TargetsOf(TrainingExample example) => example switch
    {
        LmExample lm => lm.Ids.Count - 1,
        ScpExample scp => scp.TargetIds.Count,
        InstructExample instruct => instruct.AnswerIds.Count,
        E2eExample e2e => e2e.AnswerIds.Count,
        RankExample => 1,
        ScpRankExample scpRank => scpRank.AnswerIds.Count,
        _ => throw new ArgumentException($"no target count for {example.GetType().Name}"),
    };

    private static int InputsOf(TrainingExample example) => example switch
    {
        LmExample lm => lm.Ids.Count,
        ScpExample scp => scp.DocumentIds.Count + scp.PromptIds.Count + scp.TargetIds.Count,
        InstructExample instruct => instruct.Docs.Sum(d => d.Count) + instruct.PromptIds.Count + instruct.AnswerIds.Count,
        E2eExample e2e => e2e.QuestionIds.Count + e2e.Docs.Sum(d => d.Count) + e2e.PromptIds.Count + e2e.AnswerIds.Count,
        RankExample rank => rank.QuestionIds.Count + rank.Docs.Sum(d => d.Count),
        ScpRankExample s => s.QuestionIds.Count + s.Docs.Sum(d => d.Count) + s.PromptIds.Count + s.AnswerIds.Count,
        _ => throw new ArgumentException($"no token count for {example.GetType().Name}"),
    };
}
