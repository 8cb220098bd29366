using System.Text.RegularExpressions;

namespace Clara.Engine.Evaluation;

/// <summary>
/// Okapi BM25 over one question's candidates (the retrieval baseline that needs no training): terms are lower-cased
/// runs of word characters; document frequencies and the average length come from the candidates themselves;
/// idf = ln(1 + (N − n + 0.5) / (n + 0.5)) (Lucene's, never negative); each distinct query term counts once.
/// </summary>
public static partial class Bm25
{
    public const double K1 = 1.2;
    public const double B = 0.75;

    [GeneratedRegex(@"\w+", RegexOptions.CultureInvariant)]
    private static partial Regex Word();

    public static string[] Terms(string text) => Word().Matches(text.ToLowerInvariant()).Select(m => m.Value).ToArray();

    public static double[] Scores(string query, IReadOnlyList<string> documents)
    {
        var docs = documents.Select(Terms).ToArray();
        int n = docs.Length;
        double averageLength = docs.Length == 0 ? 0 : docs.Average(d => (double)d.Length);
        var frequencies = docs.Select(d => d.GroupBy(t => t, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Count(), StringComparer.Ordinal)).ToArray();
        var scores = new double[n];
        foreach (var term in Terms(query).Distinct(StringComparer.Ordinal))
        {
            int containing = frequencies.Count(f => f.ContainsKey(term));
            if (containing == 0) continue;
            double idf = Math.Log(1 + (n - containing + 0.5) / (containing + 0.5));
            for (int i = 0; i < n; i++)
            {
                if (!frequencies[i].TryGetValue(term, out int tf)) continue;
                double lengthNorm = averageLength == 0 ? 1 : 1 - B + B * docs[i].Length / averageLength;
                scores[i] += idf * tf * (K1 + 1) / (tf + K1 * lengthNorm);
            }
        }
        return scores;
    }
}
