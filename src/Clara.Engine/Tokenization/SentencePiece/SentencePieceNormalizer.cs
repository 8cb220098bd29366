using System.Text;

namespace Clara.Engine.Tokenization.SentencePiece;

/// <summary>
/// sentencepiece's Normalizer for the "identity" rule (no precompiled character map), the rule of Llama and
/// Mistral: optional removal of leading, trailing and repeated spaces, the dummy "▁" prefix, and every space
/// (U+0020 only; tabs and newlines stay) written as "▁". User-defined pieces are copied as units, so the
/// repeated-space rule never cuts into one.
/// </summary>
internal sealed class SentencePieceNormalizer(NormalizerSettings settings, UserDefinedMatcher userDefined)
{
    public const char SpaceSymbol = '\u2581';

    public NormalizerSettings Settings { get; } = settings;

    /// <summary>The normalized form of <paramref name="input"/> (empty for empty or, when spaces are folded, all-space input).</summary>
    public string Normalize(ReadOnlySpan<char> input) => Normalize(input, startsText: true);

    /// <summary>
    /// The normalized form of text that continues after a non-space character: no dummy prefix, and its leading
    /// space is kept (it is not repeated). The tail of a text cut before a word's space normalizes to exactly the
    /// tail of the whole text's normalized form.
    /// </summary>
    public string NormalizeContinuation(ReadOnlySpan<char> input) => Normalize(input, startsText: false);

    private string Normalize(ReadOnlySpan<char> input, bool startsText)
    {
        if (input.IsEmpty) return "";
        bool fold = Settings.RemoveExtraWhitespaces;
        if (fold && startsText)
        {
            int skip = 0;
            while (skip < input.Length && input[skip] == ' ' && userDefined.Match(input[skip..]) == 0) skip++;
            input = input[skip..];
            if (input.IsEmpty) return "";
        }
        var output = new StringBuilder(input.Length + 1);
        if (Settings.AddDummyPrefix && startsText) AppendSpace(output);
        bool previousWasSpace = fold && startsText;
        while (!input.IsEmpty)
        {
            int length = userDefined.Match(input);
            if (length == 0) length = char.IsHighSurrogate(input[0]) && input.Length > 1 && char.IsLowSurrogate(input[1]) ? 2 : 1;
            var unit = input[..length];
            input = input[length..];
            if (length == 1 && char.IsSurrogate(unit[0]))
            {
                // sentencepiece turns malformed UTF-8 into U+FFFD; a lone surrogate is this string's malformed text.
                output.Append('\uFFFD');
                previousWasSpace = false;
                continue;
            }
            if (previousWasSpace) unit = unit.TrimStart(' ');
            if (!unit.IsEmpty)
            {
                foreach (char c in unit)
                    if (c == ' ') AppendSpace(output);
                    else output.Append(c);
                previousWasSpace = unit[^1] == ' ';
            }
            if (!fold) previousWasSpace = false;
        }
        if (fold)
        {
            char space = Settings.EscapeWhitespaces ? SpaceSymbol : ' ';
            int end = output.Length;
            while (end > 0 && output[end - 1] == space) end--;
            output.Length = end;
        }
        return output.ToString();
    }

    private void AppendSpace(StringBuilder output) => output.Append(Settings.EscapeWhitespaces ? SpaceSymbol : ' ');
}
