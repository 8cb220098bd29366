namespace Clara.Engine.Training.Data;

/// <summary>
/// The order examples are visited in: epoch after epoch, each a seeded permutation, as one endless stream (a batch may
/// span two epochs). The permutation of epoch e depends only on (seed, e), so (seed, <see cref="Position"/>) is the whole
/// state a checkpoint needs to continue the same stream.
/// </summary>
public sealed class ShuffledOrder
{
    private readonly int _count;
    private long _cachedEpoch = -1;
    private int[] _permutation = [];

    public ShuffledOrder(int count, ulong seed)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        _count = count;
        Seed = seed;
    }

    public ulong Seed { get; }

    /// <summary>Examples handed out so far, over all epochs.</summary>
    public long Position { get; set; }

    public double Epoch => (double)Position / _count;

    /// <summary>The next <paramref name="n"/> example indices.</summary>
    public int[] Next(int n)
    {
        var result = new int[n];
        for (int i = 0; i < n; i++)
        {
            long epoch = Position / _count;
            if (epoch != _cachedEpoch) (_permutation, _cachedEpoch) = (Permutation(epoch), epoch);
            result[i] = _permutation[(int)(Position % _count)];
            Position++;
        }
        return result;
    }

    /// <summary>Fisher–Yates driven by SplitMix64 seeded with (seed, epoch).</summary>
    private int[] Permutation(long epoch)
    {
        var order = Enumerable.Range(0, _count).ToArray();
        var random = new SplitMix64(Seed ^ (0x9E3779B97F4A7C15UL * (ulong)(epoch + 1)));
        for (int i = _count - 1; i > 0; i--)
        {
            int j = (int)random.NextBelow((ulong)i + 1);
            (order[i], order[j]) = (order[j], order[i]);
        }
        return order;
    }
}

/// <summary>Steele, Lea and Flood's SplitMix64: a fixed, documented generator, so orders never change with the runtime.</summary>
internal struct SplitMix64(ulong state)
{
    private ulong _state = state;

    public ulong Next()
    {
        ulong z = _state += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    /// <summary>Uniform in [0, bound) by rejection (no modulo bias).</summary>
    public ulong NextBelow(ulong bound)
    {
        ulong limit = ulong.MaxValue - ulong.MaxValue % bound;
        ulong x;
        do x = Next(); while (x >= limit);
        return x % bound;
    }
}
