namespace Clara.Engine.Tokenization;

/// <summary>A piece of prompt content: text to tokenize, or ids spliced in as they are (never through the tokenizer).</summary>
public abstract record PromptPart
{
    private PromptPart() { }

    public static PromptPart Text(string text) => new TextPart(text ?? throw new ArgumentNullException(nameof(text)));

    public static PromptPart Ids(IReadOnlyList<int> ids) => new IdsPart(ids?.ToArray() ?? throw new ArgumentNullException(nameof(ids)));

    public sealed record TextPart(string Value) : PromptPart;

    public sealed record IdsPart(int[] Values) : PromptPart;
}
