namespace Clara.Engine.Training.Data;

/// <summary>Turns one line of a stage's data file, pre-tokenized or text, into that stage's example.</summary>
public interface IExampleLineParser
{
    TrainingStage Stage { get; }
    TrainingExample Parse(TrainingLine line);
}

/// <summary>
/// Stage lm: <c>{"ids": [..]}</c> used as given, or <c>{"text": ".."}</c> tokenized and wrapped as &lt;s&gt; text &lt;/s&gt;
/// (when the model has those ids), the usual layout of causal-LM pretraining data. A prompt/completion line,
/// <c>{"prompt_ids", "completion_ids"}</c> or <c>{"prompt": "..", "completion": ".."}</c> (&lt;s&gt; prompt completion &lt;/s&gt;,
/// the two tokenized apart), puts the loss on the completion and its EOS only.
/// </summary>
public sealed class LmLineParser(ExampleText text) : IExampleLineParser
{
    public TrainingStage Stage => TrainingStage.Lm;

    public TrainingExample Parse(TrainingLine line)
    {
        if (line.Has("prompt_ids") || line.Has("completion_ids")) return Completion(line.Ids("prompt_ids"), line.Ids("completion_ids"));
        if (line.Has("prompt") || line.Has("completion"))
            return Completion([.. Bos, .. text.Encode(line.String("prompt"), "prompt")], text.Target(line.String("completion"), "completion"));
        if (line.Has("ids")) return new LmExample(line.Ids("ids"));
        if (!line.Has("text")) throw new ExampleFieldException("ids", "is missing (give \"ids\", \"text\", or a prompt and a completion)");
        return new LmExample([.. Bos, .. text.Target(line.String("text"), "text")]);
    }

    private int[] Bos => text.BosId is int b ? [b] : [];

    private static LmExample Completion(IReadOnlyList<int> prompt, IReadOnlyList<int> completion) => new([.. prompt, .. completion], prompt.Count);
}

/// <summary>
/// Stage scp: <c>{"doc_ids", "prompt_ids", "target_ids"}</c>, or <c>{"document", "target"}</c> with an optional
/// <c>"question"</c>. In text form the prompt is the generator prompt with one slot (k = 1) around the question when there
/// is one (a QA pair), else around <see cref="ParaphraseInstruction"/> (the paraphrase task); the target gets EOS.
/// </summary>
public sealed class ScpLineParser(ExampleText text) : IExampleLineParser
{
    /// <summary>
    /// The engine's wording of the reference's SCP paraphrase task (not checked against the reference's exact string; pass
    /// prompt_ids to use another prompt).
    /// </summary>
    public const string ParaphraseInstruction = "Paraphrase the background document.";

    public TrainingStage Stage => TrainingStage.Scp;

    public TrainingExample Parse(TrainingLine line)
    {
        if (line.Has("doc_ids") || line.Has("prompt_ids") || line.Has("target_ids"))
            return new ScpExample(line.Ids("doc_ids"), line.Ids("prompt_ids"), line.Ids("target_ids"));
        var document = text.Encode(line.String("document"), "document");
        var question = line.Has("question") ? line.String("question") : ParaphraseInstruction;
        var prompt = text.Prompt(question, 1, line.Has("question") ? "question" : "document");
        return new ScpExample(document, prompt, text.Target(line.String("target"), "target"));
    }
}

/// <summary>
/// Stage instruct: <c>{"docs": [[..], ..], "prompt_ids", "answer_ids"}</c>, or <c>{"docs": ["..", ..], "question",
/// "answer"}</c> whose prompt has one slot per document (k = N, in the given order); the answer gets EOS.
/// </summary>
public sealed class InstructLineParser(ExampleText text) : IExampleLineParser
{
    public TrainingStage Stage => TrainingStage.Instruct;

    public TrainingExample Parse(TrainingLine line)
    {
        if (line.Has("prompt_ids") || line.Has("answer_ids") || line.IsIdListArray("docs"))
            return new InstructExample(line.IdLists("docs"), line.Ids("prompt_ids"), line.Ids("answer_ids"));
        var docs = text.Documents(line, preTokenized: false);
        if (docs.Length == 0) throw new ExampleFieldException("docs", "needs at least one document");
        return new InstructExample(docs, text.Prompt(line.String("question"), docs.Length, "question"), text.Target(line.String("answer"), "answer"));
    }
}

/// <summary>
/// Stage e2e (spec §9): <c>{"question_ids", "docs": [[..], ..], "prompt_ids", "answer_ids"}</c>, or <c>{"question",
/// "docs": ["..", ..], "answer"}</c> whose prompt has k slots (<paramref name="k"/>, the run's setting); the answer gets
/// EOS. An optional <c>"gold"</c> (index of the relevant candidate) is checked and left to evaluation.
/// </summary>
public sealed class E2eLineParser(ExampleText text, int k) : IExampleLineParser
{
    public TrainingStage Stage => TrainingStage.E2e;

    public TrainingExample Parse(TrainingLine line)
    {
        bool ids = line.Has("question_ids") || line.Has("prompt_ids") || line.Has("answer_ids") || line.IsIdListArray("docs");
        var docs = text.Documents(line, ids);
        if (line.OptionalInt("gold") is int gold && (gold < 0 || gold >= docs.Length))
            throw new ExampleFieldException("gold", $"{gold} is not an index into the {docs.Length} documents");
        if (ids) return new E2eExample(line.Ids("question_ids"), docs, line.Ids("prompt_ids"), line.Ids("answer_ids"));
        if (k > docs.Length) throw new ExampleFieldException("docs", $"k = {k} but only {docs.Length} candidates (k > N; see --k)");
        var question = line.String("question");
        return new E2eExample(text.Encode(question, "question"), docs, text.Prompt(question, k, "question"), text.Target(line.String("answer"), "answer"));
    }
}

/// <summary>
/// Stage rank: <c>{"question_ids", "docs": [[..], ..], "gold"}</c>, or <c>{"question", "docs": ["..", ..], "gold"}</c>,
/// so an e2e data file with gold indices serves as it is (its answer is not read).
/// </summary>
public sealed class RankLineParser(ExampleText text) : IExampleLineParser
{
    public TrainingStage Stage => TrainingStage.Rank;

    public TrainingExample Parse(TrainingLine line)
    {
        bool ids = line.Has("question_ids") || line.IsIdListArray("docs");
        var docs = text.Documents(line, ids);
        if (line.OptionalInt("gold") is not int gold) throw new ExampleFieldException("gold", "is missing (the index of the relevant candidate)");
        var question = ids ? line.Ids("question_ids") : text.Encode(line.String("question"), "question");
        return new RankExample(question, docs, gold);
    }
}

/// <summary>
/// Stage scp-rank: <c>{"question_ids", "docs": [[..], ..], "gold", "prompt_ids", "answer_ids"}</c>, or <c>{"question",
/// "docs": ["..", ..], "gold", "answer"}</c> whose prompt has one slot (the gold document's), so an e2e data file with
/// gold indices serves as it is; the answer gets EOS.
/// </summary>
public sealed class ScpRankLineParser(ExampleText text) : IExampleLineParser
{
    private readonly RankLineParser _rank = new(text);

    public TrainingStage Stage => TrainingStage.ScpRank;

    public TrainingExample Parse(TrainingLine line)
    {
        var rank = (RankExample)_rank.Parse(line);
        bool ids = line.Has("question_ids") || line.Has("prompt_ids") || line.Has("answer_ids") || line.IsIdListArray("docs");
        if (ids) return new ScpRankExample(rank.QuestionIds, rank.Docs, rank.Gold, line.Ids("prompt_ids"), line.Ids("answer_ids"));
        return new ScpRankExample(rank.QuestionIds, rank.Docs, rank.Gold, text.Prompt(line.String("question"), 1, "question"),
            text.Target(line.String("answer"), "answer"));
    }
}
