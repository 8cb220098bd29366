using System.Text;
using System.Text.RegularExpressions;

namespace Clara.Engine.Tokenization;

/// <summary>
/// The tokens recognised in text before the model's own tokenization, and the ids that decoding skips.
/// Recognised: every added token of the directory plus the model's UNK/BOS/EOS pieces (Hugging Face treats
/// those as added tokens too, so "&lt;s&gt;" written in text is the BOS id). Matching is leftmost-longest, and
/// each text segment between matches is tokenized on its own — Hugging Face's "legacy" behaviour, which the
/// Mistral/Llama tokenizers use: a SentencePiece segment after an added token gets its own dummy prefix.
/// (The added tokens' lstrip/rstrip/single_word flags are not applied; CLaRa's tokens use none of them.)
/// </summary>
internal sealed class AddedTokenVocabulary
{
    private readonly Dictionary<string, int> _recognised;
    private readonly Dictionary<string, int> _special;
    private readonly HashSet<int> _specialIds;
    private readonly Dictionary<int, string> _plainAddedContent;
    private readonly Regex? _matcher;

    private AddedTokenVocabulary(Dictionary<string, int> recognised, Dictionary<string, int> special, Dictionary<int, string> plainAddedContent,
        int? bosId, int? eosId)
    {
        _recognised = recognised;
        _special = special;
        _specialIds = special.Values.ToHashSet();
        _plainAddedContent = plainAddedContent;
        BosId = bosId;
        EosId = eosId;
        MaxId = recognised.Count == 0 ? -1 : recognised.Values.Max();
        if (recognised.Count > 0)
        {
            // Longest first, so an alternation at one position picks the longest token.
            var alternatives = recognised.Keys.OrderByDescending(k => k.Length).ThenBy(k => k, StringComparer.Ordinal).Select(Regex.Escape);
            _matcher = new Regex(string.Join('|', alternatives), RegexOptions.CultureInvariant);
        }
    }

    public IReadOnlyDictionary<string, int> SpecialTokens => _special;
    public int? BosId { get; }
    public int? EosId { get; }

    /// <summary>The largest recognised id, −1 when there is none.</summary>
    public int MaxId { get; }

    /// <param name="modelVocabulary">The model's own pieces (content → id).</param>
    /// <param name="modelSpecialPieces">The model's UNK/BOS/EOS pieces, when it has them.</param>
    public static AddedTokenVocabulary Build(TokenizerDirectoryConfig config, IReadOnlyDictionary<string, int> modelVocabulary,
        IEnumerable<string?> modelSpecialPieces, string? modelBos, string? modelEos)
    {
        var recognised = new Dictionary<string, int>(StringComparer.Ordinal);
        var special = new Dictionary<string, int>(StringComparer.Ordinal);
        var plain = new Dictionary<int, string>();
        foreach (var token in config.AddedTokens)
        {
            recognised[token.Content] = token.Id;
            if (token.Special) special[token.Content] = token.Id;
            else plain[token.Id] = token.Content;
        }
        int? Resolve(string? content) =>
            content is null ? null
            : recognised.TryGetValue(content, out int id) ? id
            : modelVocabulary.TryGetValue(content, out id) ? id
            : null;
        foreach (var piece in modelSpecialPieces.Concat(config.NamedSpecialTokens))
        {
            // A named special token with no id anywhere cannot occur in ids; Hugging Face would append it to the
            // vocabulary, beyond the model's embedding, so it is left out rather than invented.
            if (Resolve(piece) is not int id) continue;
            recognised[piece!] = id;
            special[piece!] = id;
            plain.Remove(id);
        }
        return new AddedTokenVocabulary(recognised, special, plain,
            Resolve(config.BosToken) ?? Resolve(modelBos), Resolve(config.EosToken) ?? Resolve(modelEos));
    }

    /// <summary>
    /// Encodes <paramref name="text"/>: recognised tokens become their ids, every other segment goes through
    /// <paramref name="encodeSegment"/> (given the segment and whether it starts the text).
    /// </summary>
    public int[] Encode(string text, Action<ReadOnlyMemory<char>, bool, List<int>> encodeSegment)
    {
        ArgumentNullException.ThrowIfNull(text);
        var ids = new List<int>(text.Length / 3 + 4);
        int position = 0;
        if (_matcher is not null)
        {
            for (var match = _matcher.Match(text); match.Success; match = match.NextMatch())
            {
                if (match.Index > position) encodeSegment(text.AsMemory(position, match.Index - position), position == 0, ids);
                ids.Add(_recognised[match.Value]);
                position = match.Index + match.Length;
            }
        }
        if (position < text.Length) encodeSegment(text.AsMemory(position), position == 0, ids);
        return ids.ToArray();
    }

    /// <summary>
    /// Decodes <paramref name="ids"/>: special ids are skipped, a non-special added token is its content, and
    /// each run of model ids between them goes through <paramref name="decodeRun"/>.
    /// </summary>
    public string Decode(IEnumerable<int> ids, int vocabSize, Func<List<int>, string> decodeRun)
    {
        ArgumentNullException.ThrowIfNull(ids);
        var text = new StringBuilder();
        var run = new List<int>();
        foreach (int id in ids)
        {
            if ((uint)id >= (uint)vocabSize)
                throw new ArgumentOutOfRangeException(nameof(ids), id, $"token id {id} is outside the vocabulary [0, {vocabSize})");
            if (_specialIds.Contains(id)) continue;
            if (_plainAddedContent.TryGetValue(id, out var content))
            {
                Flush();
                text.Append(content);
                continue;
            }
            run.Add(id);
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
}
