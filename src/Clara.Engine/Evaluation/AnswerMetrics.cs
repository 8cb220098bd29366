using System.Text;
using System.Text.RegularExpressions;

namespace Clara.Engine.Evaluation;

/// <summary>
/// Exact match and token F1 as the SQuAD v2.0 evaluation script computes them: both answers are lower-cased, ASCII
/// punctuation and the articles a/an/the are removed and whitespace is collapsed before comparing.
/// </summary>
public static partial class AnswerMetrics
{
    private const string AsciiPunctuation = "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~";

    [GeneratedRegex(@"\b(a|an|the)\b", RegexOptions.CultureInvariant)]
    private static partial Regex Articles();

    public static string Normalize(string text)
    {
        var lower = text.ToLowerInvariant();
        var kept = new StringBuilder(lower.Length);
        foreach (char c in lower)
            if (!AsciiPunctuation.Contains(c)) kept.Append(c);
        var noArticles = Articles().Replace(kept.ToString(), " ");
        return string.Join(' ', Tokens(noArticles));
    }

    public static double ExactMatch(string prediction, string gold) => Normalize(prediction) == Normalize(gold) ? 1 : 0;

    public static double F1(string prediction, string gold)
    {
        var predicted = Tokens(Normalize(prediction));
        var expected = Tokens(Normalize(gold));
        // SQuAD v2.0: when either side is empty (a "no answer"), F1 is 1 only if both are.
        if (predicted.Length == 0 || expected.Length == 0) return predicted.Length == expected.Length ? 1 : 0;
        var remaining = expected.GroupBy(t => t, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Count(), StringComparer.Ordinal);
        int common = 0;
        foreach (var token in predicted)
            if (remaining.TryGetValue(token, out int left) && left > 0)
            {
                remaining[token] = left - 1;
                common++;
            }
        if (common == 0) return 0;
        double precision = (double)common / predicted.Length, recall = (double)common / expected.Length;
        return 2 * precision * recall / (precision + recall);
    }

    private static string[] Tokens(string text) => text.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
}
