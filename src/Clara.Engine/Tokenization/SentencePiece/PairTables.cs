using System.Runtime.CompilerServices;

namespace Clara.Engine.Tokenization.SentencePiece;

/// <summary>
/// (left id, right id) → id, open addressing with linear probing. The BPE inner loop asks it once per candidate
/// pair. A Dictionary&lt;long, int&gt; was the encoder's hot spot: Int64.GetHashCode is the XOR of the two halves,
/// so with both ids below 2¹⁵ every key fell into one of 32 768 buckets and the lookups walked long chains.
/// </summary>
internal sealed class PairIdTable
{
    private const long Empty = -1;
    private readonly long[] _keys;
    private readonly int[] _values;
    private readonly int _shift;
    private readonly int _mask;

    public PairIdTable(IReadOnlyCollection<(int Left, int Right, int Id)> entries)
    {
        int bits = 4;
        while ((1 << bits) < 2 * entries.Count) bits++;
        _keys = new long[1 << bits];
        _values = new int[1 << bits];
        _shift = 64 - bits;
        _mask = (1 << bits) - 1;
        Array.Fill(_keys, Empty);
        foreach (var (left, right, id) in entries)
        {
            long key = Key(left, right);
            int slot = Slot(key);
            while (_keys[slot] != Empty && _keys[slot] != key) slot = (slot + 1) & _mask;
            _keys[slot] = key;
            _values[slot] = id;  // a later entry for the same pair wins, as a dictionary's indexer would
        }
    }

    /// <summary>The id for the pair, −1 when the two pieces concatenate to no piece.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public int Get(int left, int right)
    {
        long key = Key(left, right);
        var keys = _keys;
        for (int slot = Slot(key); ; slot = (slot + 1) & _mask)
        {
            long found = keys[slot];
            if (found == key) return _values[slot];
            if (found == Empty) return -1;
        }
    }

    private static long Key(int left, int right) => (long)left << 32 | (uint)right;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private int Slot(long key) => (int)((ulong)key * 0x9E3779B97F4A7C15UL >> _shift);
}

/// <summary>A set of pairs of UTF-16 code units (which characters stand next to each other inside some piece).</summary>
internal sealed class CharPairSet
{
    private const uint Empty = uint.MaxValue;
    private readonly uint[] _keys;
    private readonly int _shift;
    private readonly int _mask;
    private readonly bool _hasEmptyKey;  // the pair (U+FFFF, U+FFFF), which the table uses to mark free slots

    public CharPairSet(IReadOnlyCollection<uint> pairs)
    {
        int bits = 4;
        while ((1 << bits) < 2 * pairs.Count) bits++;
        _keys = new uint[1 << bits];
        _shift = 32 - bits;
        _mask = (1 << bits) - 1;
        Array.Fill(_keys, Empty);
        foreach (uint pair in pairs)
        {
            if (pair == Empty) { _hasEmptyKey = true; continue; }
            int slot = Slot(pair);
            while (_keys[slot] != Empty && _keys[slot] != pair) slot = (slot + 1) & _mask;
            _keys[slot] = pair;
        }
    }

    public static uint Pair(char before, char after) => (uint)before << 16 | after;

    /// <summary>Every pair of characters that stand side by side in one of <paramref name="strings"/>.</summary>
    public static CharPairSet AdjacentIn(IEnumerable<string> strings)
    {
        var pairs = new HashSet<uint>();
        foreach (var s in strings)
            for (int i = 1; i < s.Length; i++) pairs.Add(Pair(s[i - 1], s[i]));
        return new CharPairSet(pairs);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool Contains(char before, char after)
    {
        uint key = Pair(before, after);
        if (key == Empty) return _hasEmptyKey;
        var keys = _keys;
        for (int slot = Slot(key); ; slot = (slot + 1) & _mask)
        {
            uint found = keys[slot];
            if (found == key) return true;
            if (found == Empty) return false;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private int Slot(uint key) => (int)(key * 0x9E3779B9u >> _shift);
}
