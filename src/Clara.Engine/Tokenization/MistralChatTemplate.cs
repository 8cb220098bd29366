namespace Clara.Engine.Tokenization;

/// <summary>
/// Mistral-7B-Instruct-v0.2's chat template for a single user turn, as token ids:
/// <c>bos_token + '[INST] ' + content + ' [/INST]'</c>. The BOS is its id; the rest is tokenized as Hugging Face
/// tokenizes the rendered string — every stretch of text between two special tokens on its own — so content
/// given as ids (CLaRa's memory slots) is spliced between separately tokenized text.
/// </summary>
public sealed class MistralChatTemplate
{
    public const string UserOpen = "[INST] ";
    public const string UserClose = " [/INST]";

    private readonly ITextTokenizer _tokenizer;
    private readonly int _bosId;

    public MistralChatTemplate(ITextTokenizer tokenizer)
    {
        _tokenizer = tokenizer ?? throw new ArgumentNullException(nameof(tokenizer));
        _bosId = tokenizer.BosId ?? throw new ArgumentException("the tokenizer has no BOS token, which the Mistral chat template starts with", nameof(tokenizer));
    }

    public ITextTokenizer Tokenizer => _tokenizer;

    /// <summary><c>&lt;s&gt;[INST] {content} [/INST]</c> as ids.</summary>
    public int[] UserTurn(string content) => UserTurn([PromptPart.Text(content)]);

    /// <summary>The user turn around mixed content; adjacent text parts are tokenized as one stretch.</summary>
    public int[] UserTurn(IReadOnlyList<PromptPart> content) => Render(content, out _);

    /// <param name="idsPartStarts">For each <see cref="PromptPart.IdsPart"/> of <paramref name="content"/>, in order, where its ids begin in the result.</param>
    public int[] Render(IReadOnlyList<PromptPart> content, out int[] idsPartStarts)
    {
        ArgumentNullException.ThrowIfNull(content);
        var ids = new List<int> { _bosId };
        var starts = new List<int>();
        var text = new System.Text.StringBuilder(UserOpen);
        foreach (var part in content)
        {
            switch (part)
            {
                case PromptPart.TextPart t:
                    text.Append(t.Value);
                    break;
                case PromptPart.IdsPart i:
                    FlushText();
                    starts.Add(ids.Count);
                    ids.AddRange(i.Values);
                    break;
                default:
                    throw new ArgumentException($"unknown prompt part {part?.GetType().Name ?? "null"}", nameof(content));
            }
        }
        text.Append(UserClose);
        FlushText();
        idsPartStarts = starts.ToArray();
        return ids.ToArray();

        void FlushText()
        {
            if (text.Length == 0) return;
            ids.AddRange(_tokenizer.Encode(text.ToString()));
            text.Clear();
        }
    }
}
