using System.Text;

namespace Clara.Engine.Tokenization;

/// <summary>Encodes one stretch of text between added tokens, appending at most about <c>budget</c> ids (more are cut by the caller).</summary>
/// <param name="startsText">Whether the stretch starts the whole text (Metaspace prepend_scheme "first").</param>
internal delegate void PieceEncoder(string piece, bool startsText, int budget, List<int> ids);

/// <summary>
/// The tokens recognised in text before the model's own tokenization, and the ids that decoding skips.
/// Recognised: every added token of the directory plus the model's UNK/BOS/EOS pieces (Hugging Face treats
/// those as added tokens too, so "&lt;s&gt;" written in text is the BOS id). As Hugging Face's AddedVocabulary:
/// tokens that are not "normalized" are found in the raw text first; each stretch between them is normalized
/// (when the tokenizer has a normalizer) and searched for the "normalized" tokens; what remains goes to the model.
/// Each stretch is tokenized on its own — the "legacy" behaviour of the Mistral/Llama tokenizers: a
/// SentencePiece stretch after an added token gets its own dummy prefix.
/// </summary>
internal sealed class AddedTokenVocabulary
{
    private readonly Dictionary<string, int> _special;
    private readonly HashSet<int> _specialIds;
    private readonly Dictionary<int, string> _content;
    private readonly Dictionary<int, string> _tokenString;
    private readonly AddedTokenMatcher _raw;
    private readonly AddedTokenMatcher _normalized;
    private readonly Func<string, string>? _normalizer;

    private AddedTokenVocabulary(IReadOnlyList<AddedToken> tokens, Func<string, string>? normalizer, int? bosId, int? eosId)
    {
        _normalizer = normalizer;
        _special = tokens.Where(t => t.Special).GroupBy(t => t.Content).ToDictionary(g => g.Key, g => g.First().Id, StringComparer.Ordinal);
        _specialIds = tokens.Where(t => t.Special).Select(t => t.Id).ToHashSet();
        _content = tokens.GroupBy(t => t.Id).ToDictionary(g => g.Key, g => g.First().Content);
        // Hugging Face stores a "normalized" token in its normalized form, and decodes that form (legacy: "▁<tag>").
        _tokenString = tokens.GroupBy(t => t.Id).ToDictionary(g => g.Key,
            g => g.First() is { Normalized: true } t && normalizer is not null ? normalizer(t.Content) : g.First().Content);
        // Without a normalizer a "normalized" token is matched in the same text, only in the second pass.
        _raw = new AddedTokenMatcher(tokens.Where(t => !t.Normalized).Select(t => (t.Content, t)));
        _normalized = new AddedTokenMatcher(tokens.Where(t => t.Normalized).Select(t => (normalizer is null ? t.Content : normalizer(t.Content), t)));
        BosId = bosId;
        EosId = eosId;
        MaxId = tokens.Count == 0 ? -1 : tokens.Max(t => t.Id);
    }

    public IReadOnlyDictionary<string, int> SpecialTokens => _special;
    public int? BosId { get; }
    public int? EosId { get; }

    /// <summary>The largest recognised id, −1 when there is none.</summary>
    public int MaxId { get; }

    public bool IsSpecial(int id) => _specialIds.Contains(id);

    /// <summary>The content of an added token's id (special or not); null for a model id.</summary>
    public string? ContentOf(int id) => _content.GetValueOrDefault(id);

    /// <param name="modelVocabulary">The model's own pieces (content → id).</param>
    /// <param name="modelSpecialPieces">The model's UNK/BOS/EOS pieces, when it has them.</param>
    /// <param name="normalizer">The tokenizer's normalizer (tokenizer.json), which "normalized" tokens are matched after.</param>
    /// <param name="onePass">Match every token in the raw text in one pass, whatever its "normalized" flag (how
    /// Hugging Face's slow, sentencepiece-backed tokenizers match added tokens).</param>
    public static AddedTokenVocabulary Build(TokenizerDirectoryConfig config, IReadOnlyDictionary<string, int> modelVocabulary,
        IEnumerable<string?> modelSpecialPieces, string? modelBos, string? modelEos, Func<string, string>? normalizer = null, bool onePass = false)
    {
        var byContent = new Dictionary<string, AddedToken>(StringComparer.Ordinal);
        foreach (var token in config.AddedTokens) byContent[token.Content] = onePass ? token with { Normalized = false } : token;
        int? Resolve(string? content) =>
            content is null ? null
            : byContent.TryGetValue(content, out var token) ? token.Id
            : modelVocabulary.TryGetValue(content, out int id) ? id
            : null;
        foreach (var piece in modelSpecialPieces.Concat(config.NamedSpecialTokens))
        {
            // A named special token with no id anywhere cannot occur in ids; Hugging Face would append it to the
            // vocabulary, beyond the model's embedding, so it is left out rather than invented.
            if (Resolve(piece) is not int id) continue;
            byContent[piece!] = byContent.TryGetValue(piece!, out var known) ? known with { Special = true } : new AddedToken(piece!, id, Special: true);
        }
        return new AddedTokenVocabulary(byContent.Values.ToList(), normalizer,
            Resolve(config.BosToken) ?? Resolve(modelBos), Resolve(config.EosToken) ?? Resolve(modelEos));
    }

    /// <summary>
    /// Encodes <paramref name="text"/>: recognised tokens become their ids, every other stretch goes through
    /// <paramref name="encodePiece"/> (normalized first when the tokenizer has a normalizer). Stops once
    /// <paramref name="maxTokens"/> ids exist and returns the first <paramref name="maxTokens"/>.
    /// </summary>
    public int[] Encode(string text, int maxTokens, PieceEncoder encodePiece)
    {
        ArgumentNullException.ThrowIfNull(text);
        ArgumentOutOfRangeException.ThrowIfNegative(maxTokens);
        var ids = new List<int>(Math.Min(text.Length / 3 + 4, maxTokens == int.MaxValue ? int.MaxValue : maxTokens + 16));
        foreach (var split in _raw.Split(text))
        {
            if (ids.Count >= maxTokens) break;
            if (split.IsToken) { ids.Add(split.TokenId); continue; }
            string stretch = text[split.Start..split.End];
            if (_normalizer is not null) stretch = _normalizer(stretch);
            foreach (var inner in _normalized.Split(stretch))
            {
                if (ids.Count >= maxTokens) break;
                if (inner.IsToken) ids.Add(inner.TokenId);
                else encodePiece(stretch[inner.Start..inner.End], split.Start == 0 && inner.Start == 0, maxTokens - ids.Count, ids);
            }
        }
        if (ids.Count > maxTokens) ids.RemoveRange(maxTokens, ids.Count - maxTokens);
        return ids.ToArray();
    }

    /// <summary>
    /// Decodes <paramref name="ids"/> as Hugging Face's Tokenizer.decode: special ids are skipped, every other id
    /// becomes its token string (an added token's content — normalized for a "normalized" one — or
    /// <paramref name="modelToken"/>), and the whole list goes
    /// through <paramref name="decodeTokens"/> at once, so a word after an added token keeps its space.
    /// </summary>
    public string DecodeTokens(IEnumerable<int> ids, int vocabSize, Func<int, string> modelToken, Func<List<string>, string> decodeTokens)
    {
        ArgumentNullException.ThrowIfNull(ids);
        var tokens = new List<string>();
        foreach (int id in ids)
            if (TokenToDecode(id, vocabSize, modelToken) is { } token)
                tokens.Add(token);
        return decodeTokens(tokens);
    }

    /// <summary>The token string <see cref="DecodeTokens"/> gives <paramref name="id"/>; null for a special id, which it skips.</summary>
    public string? TokenToDecode(int id, int vocabSize, Func<int, string> modelToken)
    {
        CheckRange(id, vocabSize, "ids");
        if (_specialIds.Contains(id)) return null;
        return _tokenString.TryGetValue(id, out var token) ? token : modelToken(id);
    }

    /// <summary>
    /// Decodes <paramref name="ids"/>: special ids are skipped, a non-special added token is its content, and
    /// each run of model ids between them goes through <paramref name="decodeRun"/> on its own (how a
    /// SentencePiece-backed tokenizer decodes).
    /// </summary>
    public string Decode(IEnumerable<int> ids, int vocabSize, Func<List<int>, string> decodeRun)
    {
        ArgumentNullException.ThrowIfNull(ids);
        var text = new StringBuilder();
        var run = new List<int>();
        foreach (int id in ids)
        {
            switch (RoleOf(id, vocabSize, out var content))
            {
                case DecodeRole.Skipped: continue;
                case DecodeRole.AddedContent:
                    Flush();
                    text.Append(content);
                    continue;
                default:
                    run.Add(id);
                    continue;
            }
        }
        Flush();
        return text.ToString();

        void Flush()
        {
            if (run.Count == 0) return;
            text.Append(decodeRun(run));
            run.Clear();
        }
    }

    /// <summary>What <see cref="Decode"/> makes of <paramref name="id"/>; <paramref name="content"/> is set for an added token's content.</summary>
    public DecodeRole RoleOf(int id, int vocabSize, out string? content)
    {
        CheckRange(id, vocabSize, "ids");
        content = null;
        if (_specialIds.Contains(id)) return DecodeRole.Skipped;
        return _content.TryGetValue(id, out content) ? DecodeRole.AddedContent : DecodeRole.ModelPiece;
    }

    private static void CheckRange(int id, int vocabSize, string name)
    {
        if ((uint)id >= (uint)vocabSize)
            throw new ArgumentOutOfRangeException(name, id, $"token id {id} is outside the vocabulary [0, {vocabSize})");
    }
}

/// <summary>How a SentencePiece-backed decode treats one id.</summary>
internal enum DecodeRole
{
    /// <summary>A special token (BOS, EOS…): decoding skips it without ending the run of model ids around it.</summary>
    Skipped,

    /// <summary>A non-special added token: ends the run of model ids and reads as its content.</summary>
    AddedContent,

    /// <summary>One of the model's own pieces, decoded with the run it belongs to.</summary>
    ModelPiece,
}
