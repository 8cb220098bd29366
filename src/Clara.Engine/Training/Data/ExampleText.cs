using Clara.Engine.Pipeline;
using Clara.Engine.Tokenization;

namespace Clara.Engine.Training.Data;

/// <summary>
/// What the text form of a data file needs from the model: its tokenizer, its generator prompt with k memory slots
/// (<see cref="ClaraModel.BuildPrompt(string, int)"/>) and the end-of-sequence id appended to targets.
/// </summary>
public sealed class ExampleText
{
    private readonly ITextTokenizer? _tokenizer;
    private readonly Func<string, int, int[]>? _prompt;

    private ExampleText(ITextTokenizer? tokenizer, Func<string, int, int[]>? prompt, int? bos, int? eos, string source)
    {
        (_tokenizer, _prompt, BosId, EosId, Source) = (tokenizer, prompt, bos, eos, source);
    }

    public int? BosId { get; }
    public int? EosId { get; }
    public string Source { get; }

    /// <summary>A CLaRa model: its tokenizer (when it has one), its chat-template prompt, clara.json's BOS/EOS.</summary>
    public static ExampleText For(ClaraModel model) =>
        new(model.Tokenizer, model.Tokenizer is null ? null : model.BuildPrompt, model.Config.BosTokenId, model.Config.EosTokenId, model.Decoder.Source);

    /// <summary>A plain decoder (stage lm): a tokenizer or none, no prompt.</summary>
    public static ExampleText For(ITextTokenizer? tokenizer, int? bos, int? eos, string source) => new(tokenizer, null, bos, eos, source);

    public int[] Encode(string text, string field) =>
        (_tokenizer ?? throw new ExampleFieldException(field, $"is text, but {Source} has no tokenizer files: give token ids instead")).Encode(text);

    public int[] Prompt(string question, int k, string field) =>
        (_prompt ?? throw new ExampleFieldException(field, $"is text, but {Source} has no tokenizer (or no CLaRa prompt): give prompt ids instead"))(question, k);

    /// <summary>A line's <c>docs</c>: id lists as given, or texts encoded one by one (an error names <c>docs[i]</c>).</summary>
    public IReadOnlyList<int>[] Documents(TrainingLine line, bool preTokenized) =>
        preTokenized ? line.IdLists("docs") : line.Strings("docs").Select((d, i) => (IReadOnlyList<int>)Encode(d, $"docs[{i}]")).ToArray();

    /// <summary>A target in text form: its ids then EOS, so the generator learns to stop.</summary>
    public int[] Target(string text, string field) => EosId is int eos ? [.. Encode(text, field), eos] : Encode(text, field);
}
