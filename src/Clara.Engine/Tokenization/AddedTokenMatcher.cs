using System.Text.RegularExpressions;

namespace Clara.Engine.Tokenization;

/// <summary>A stretch of text: an added token's id, or −1 for text the model tokenizes.</summary>
internal readonly record struct TextSplit(int Start, int End, int TokenId)
{
    public bool IsToken => TokenId >= 0;
}

/// <summary>
/// Finds added tokens in text as Hugging Face's AddedVocabulary.find_matches does: leftmost-longest matches that do
/// not overlap; a single_word token is dropped (its text left to the model) when a word character touches it; an
/// lstrip token takes the whitespace before it (not what an earlier match took), an rstrip token the whitespace after.
/// </summary>
internal sealed class AddedTokenMatcher
{
    // Rust's \w and \s are Unicode-wide: Alphabetic, marks, decimal digits, connector punctuation, joiners.
    private static readonly Regex WordCharacter = new(@"[\p{L}\p{Nl}\p{M}\p{Nd}\p{Pc}\u200C\u200D]", RegexOptions.CultureInvariant);

    private readonly Dictionary<string, AddedToken> _tokens;
    private readonly Regex? _pattern;

    /// <param name="tokens">Content as it appears in the text being searched (already normalized for a normalized set).</param>
    public AddedTokenMatcher(IEnumerable<(string Pattern, AddedToken Token)> tokens)
    {
        _tokens = new Dictionary<string, AddedToken>(StringComparer.Ordinal);
        foreach (var (pattern, token) in tokens)
            if (pattern.Length > 0) _tokens.TryAdd(pattern, token);
        if (_tokens.Count == 0) return;
        // Longest first, so the alternation picks the longest token at a position (leftmost-longest).
        var alternatives = _tokens.Keys.OrderByDescending(k => k.Length).ThenBy(k => k, StringComparer.Ordinal).Select(Regex.Escape);
        _pattern = new Regex(string.Join('|', alternatives), RegexOptions.CultureInvariant);
    }

    public bool IsEmpty => _pattern is null;

    /// <summary>The splits covering <paramref name="text"/> in order, lazily (callers may stop early).</summary>
    public IEnumerable<TextSplit> Split(string text)
    {
        int offset = 0;
        if (_pattern is not null)
        {
            for (var match = _pattern.Match(text); match.Success; match = match.NextMatch())
            {
                var token = _tokens[match.Value];
                int start = match.Index, stop = match.Index + match.Length;
                if (token.SingleWord && (EndsWithWord(text, start) || StartsWithWord(text, stop))) continue;
                if (token.LStrip)
                {
                    int trimmed = start;
                    while (trimmed > 0 && char.IsWhiteSpace(text[trimmed - 1])) trimmed--;
                    start = Math.Max(trimmed, offset);
                }
                if (token.RStrip)
                    while (stop < text.Length && char.IsWhiteSpace(text[stop])) stop++;
                if (offset < start) yield return new TextSplit(offset, start, -1);
                yield return new TextSplit(start, stop, token.Id);
                offset = stop;
            }
        }
        if (offset < text.Length) yield return new TextSplit(offset, text.Length, -1);
    }

    private static bool EndsWithWord(string text, int end) =>
        end > 0 && WordCharacter.IsMatch(char.IsLowSurrogate(text[end - 1]) && end > 1 ? text.Substring(end - 2, 2) : text.Substring(end - 1, 1));

    private static bool StartsWithWord(string text, int start) =>
        start < text.Length && WordCharacter.IsMatch(char.IsHighSurrogate(text[start]) && start + 1 < text.Length ? text.Substring(start, 2) : text.Substring(start, 1));
}
