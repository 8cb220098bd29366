using Clara.Engine.Tokenization.SentencePiece;
using NUnit.Framework;
using static Clara.Engine.Tests.Tokenization.SentencePieceModelWriter;

namespace Clara.Engine.Tests.Tokenization;

/// <summary>The parts of the fast BPE path that the oracle corpora cannot reach on their own.</summary>
[TestFixture]
public sealed class SentencePieceEncoderPartsTests
{
    [Test]
    public void The_pair_table_finds_every_pair_and_nothing_else()
    {
        // Ids below 2¹⁵ on both sides: the keys whose halves XOR alike (the old Dictionary<long, int>'s weakness).
        var entries = new List<(int, int, int)>();
        for (int left = 0; left < 300; left++)
            for (int right = 0; right < 300; right += 3)
                entries.Add((left, right, left * 1000 + right));
        var table = new PairIdTable(entries);
        foreach (var (left, right, id) in entries) Assert.That(table.Get(left, right), Is.EqualTo(id));
        Assert.That(table.Get(5, 1), Is.EqualTo(-1));
        Assert.That(table.Get(301, 0), Is.EqualTo(-1));
        Assert.That(table.Get(0, 31999), Is.EqualTo(-1));
    }

    [Test]
    public void The_char_pair_set_holds_the_pair_it_uses_to_mark_free_slots()
    {
        var set = new CharPairSet([CharPairSet.Pair('a', 'b'), CharPairSet.Pair('\uFFFF', '\uFFFF')]);
        Assert.That(set.Contains('a', 'b'), Is.True);
        Assert.That(set.Contains('\uFFFF', '\uFFFF'), Is.True);
        Assert.That(set.Contains('b', 'a'), Is.False);
        Assert.That(new CharPairSet([CharPairSet.Pair('a', 'b')]).Contains('\uFFFF', '\uFFFF'), Is.False);
    }

    [Test]
    public void The_chunk_cache_stays_bounded()
    {
        var cache = new ChunkCache();
        for (int i = 0; i < ChunkCache.MaxEntries + 100; i++) cache.Add($"w{i}", [i, i + 1], false, false);
        Assert.That(cache.Count, Is.LessThanOrEqualTo(ChunkCache.MaxEntries));
        string last = $"w{ChunkCache.MaxEntries + 99}";
        Assert.That(cache.TryGet(last, out var entry), Is.True);
        Assert.That(entry.Ids, Is.EqualTo(new[] { ChunkCache.MaxEntries + 99, ChunkCache.MaxEntries + 100 }));
    }

    [Test]
    public void A_model_with_unused_pieces_is_never_cut()
    {
        // An UNUSED piece is split back by the last place in the whole text where it was formed, so chunks could
        // split it differently: such a model is encoded whole (and the bounded encoder finds no cut either).
        var pieces = LlamaStylePieces(["▁", "h", "e", "l", "o", "w", "r", "d", "▁h", "ll", "▁he", "llo", "▁hello", "▁world"]);
        var withUnused = pieces.Append(new Piece("lo", -100, SentencePieceModelWriter.PieceType.Unused)).ToList();
        string text = "hello world, hello";
        var plain = SentencePieceProcessor.Load(Write(pieces), "plain.model");
        var unused = SentencePieceProcessor.Load(Write(withUnused), "unused.model");
        Assert.That(Enumerable.Range(1, text.Length - 1).Any(cut => plain.IsExactCut(text, cut)), Is.True);
        Assert.That(Enumerable.Range(1, text.Length - 1).Any(cut => unused.IsExactCut(text, cut)), Is.False);
        var ids = new List<int>();
        unused.Encode(text, ids);
        var whole = new List<int>();
        unused.Strategy = EncodeStrategy.WholeText;
        unused.Encode(text, whole);
        Assert.That(ids, Is.EqualTo(whole));
    }
}
