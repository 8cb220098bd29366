namespace Clara.Corpus.Generation;

/// <summary>
/// SplitMix64: our own generator rather than System.Random, so a seed gives the same corpus on every .NET version
/// and platform (System.Random's algorithm is an implementation detail that has changed before).
/// </summary>
public sealed class SeededRandom(ulong seed)
{
    private readonly ulong _seed = seed;
    private ulong _state = seed;

    public ulong NextUInt64()
    {
        ulong z = _state += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    /// <summary>Uniform in [0, n) without modulo bias (Lemire's multiply-and-reject).</summary>
    public int Next(int n)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(n, 1);
        ulong bound = (ulong)n;
        while (true)
        {
            UInt128 product = (UInt128)NextUInt64() * bound;
            ulong low = (ulong)product;
            if (low >= (0UL - bound) % bound) return (int)(product >> 64);
        }
    }

    public int Between(int lowInclusive, int highInclusive) => lowInclusive + Next(highInclusive - lowInclusive + 1);

    public T Pick<T>(IReadOnlyList<T> items) => items[Next(items.Count)];

    /// <summary>Fisher–Yates in place.</summary>
    public void Shuffle<T>(IList<T> items)
    {
        for (int i = items.Count - 1; i > 0; i--)
        {
            int j = Next(i + 1);
            (items[i], items[j]) = (items[j], items[i]);
        }
    }

    /// <summary>
    /// An independent stream for one purpose, derived from the seed alone (not from draws made so far), so adding
    /// draws in one place does not shift every other part of the corpus.
    /// </summary>
    public SeededRandom Fork(string purpose)
    {
        ulong h = 14695981039346656037UL;
        foreach (char c in purpose) h = (h ^ c) * 1099511628211UL;
        return new SeededRandom(new SeededRandom(_seed ^ h).NextUInt64());
    }
}
