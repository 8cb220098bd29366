namespace Clara.Corpus.Generation;

/// <summary>
/// Makes names from a small syllable inventory, so every name is a new combination of familiar sub-word pieces: a
/// tokenizer trained on some names splits unseen ones into pieces it knows, and a model can copy them. Every word
/// it hands out is unique across all roles (a surname is never a town, a country never a language), except the
/// person first names, which are a shared pool on purpose (distractors share them).
/// </summary>
public sealed class NameForge(SeededRandom random)
{
    // Few and short pieces: names stay a handful of tokens, so a document with the name in every sentence still
    // fits the compressor's window.
    private static readonly string[] Onsets = ["b", "d", "f", "g", "k", "l", "m", "n", "p", "r", "s", "t", "v", "z", "th", "br"];
    private static readonly string[] Vowels = ["a", "e", "i", "o", "u"];
    private static readonly string[] Codas = ["", "", "", "n", "r", "l"];

    private readonly HashSet<string> _used = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>A fresh word of <paramref name="syllables"/> syllables followed by <paramref name="suffix"/>.</summary>
    public string Word(int syllables, string suffix = "")
    {
        for (int attempt = 0; attempt < 10_000; attempt++)
        {
            var text = new System.Text.StringBuilder();
            for (int s = 0; s < syllables; s++)
                text.Append(random.Pick(Onsets)).Append(random.Pick(Vowels)).Append(random.Pick(Codas));
            text.Append(suffix);
            var word = char.ToUpperInvariant(text[0]) + text.ToString(1, text.Length - 1);
            if (_used.Add(word)) return word;
        }
        throw new InvalidOperationException($"the syllable inventory ran out of {syllables}-syllable names ending in '{suffix}'");
    }

    /// <summary><paramref name="count"/> fresh words of <paramref name="syllables"/> syllables, each ending in one of <paramref name="suffixes"/>.</summary>
    public IReadOnlyList<string> Words(int count, int syllables, params string[] suffixes) =>
        Enumerable.Range(0, count).Select(_ => Word(syllables, suffixes.Length == 0 ? "" : random.Pick(suffixes))).ToList();
}
