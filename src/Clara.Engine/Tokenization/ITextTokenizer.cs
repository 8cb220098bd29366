namespace Clara.Engine.Tokenization;

/// <summary>
/// Text ↔ token ids for one model. Encoding adds no special tokens of its own (no BOS/EOS): callers that need
/// them add the ids themselves, as the chat template and the CLaRa layouts do. Added tokens written in the text
/// (<c>&lt;MEM0&gt;</c>, <c>&lt;SEP&gt;</c>, <c>&lt;s&gt;</c>…) encode as their single ids.
/// </summary>
public interface ITextTokenizer
{
    /// <summary>The ids of <paramref name="text"/>, without BOS/EOS.</summary>
    int[] Encode(string text);

    /// <summary>
    /// The first <paramref name="maxTokens"/> ids of <see cref="Encode(string)"/>, tokenizing no more of the text
    /// than they need where the tokenizer can cut text exactly (SentencePiece BPE at characters no piece joins);
    /// elsewhere the whole text is tokenized and the ids cut. For documents that are truncated anyway.
    /// </summary>
    int[] Encode(string text, int maxTokens);

    /// <summary>The text of <paramref name="ids"/>, skipping special ids as Hugging Face's skip_special_tokens does.</summary>
    string Decode(IEnumerable<int> ids);

    /// <summary>
    /// A decode fed one id at a time, for streaming an answer as it is generated: the text of each new id in bounded
    /// work, the concatenation of its deltas exactly <see cref="Decode"/> of all the ids.
    /// </summary>
    Streaming.IncrementalDetokenizer DecodeStream();

    /// <summary>The token string of one id: the model's piece, or an added token's content (Hugging Face's id_to_token).</summary>
    string IdToToken(int id);

    /// <summary>Every special token (content → id): the model's BOS/EOS/UNK and the special added tokens.</summary>
    IReadOnlyDictionary<string, int> SpecialTokens { get; }

    int? BosId { get; }

    int? EosId { get; }

    /// <summary>One more than the largest id the tokenizer can produce (model vocabulary and added tokens).</summary>
    int VocabSize { get; }
}
