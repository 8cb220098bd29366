using System.Text.Json;
using Clara.Engine.Tests.Support;
using Clara.Engine.Tokenization;
using Clara.Engine.Tokenization.SentencePiece;
using NUnit.Framework;

namespace Clara.Engine.Tests.Tokenization;

/// <summary>One line of a corpus fixture: what sentencepiece itself gave (tests/oracle/make_sentencepiece_corpus_fixtures.py).</summary>
internal sealed record CorpusCase(int Line, string Text, int[] Ids, string Decoded);

/// <summary>
/// SentencePiece models trained by Google's sentencepiece (BPE with and without byte fallback, unigram) against
/// sentencepiece's own ids for ~950 varied strings (runs of repeated characters, code, mixed scripts, control
/// characters, 10 000-character strings) and its decoding of random id sequences. Every mismatch is listed.
/// </summary>
[TestFixture("bpe-bytes")]
[TestFixture("bpe-plain")]
[TestFixture("unigram")]
public sealed class SentencePieceCorpusOracleTests(string model)
{
    private ITextTokenizer _tokenizer = null!;
    private List<CorpusCase> _cases = null!;

    private string Directory => Path.Combine(Fixtures.Root, "tokenizers", "corpus", model);

    [OneTimeSetUp]
    public void Load()
    {
        _tokenizer = TokenizerLoader.Load(Directory);
        _cases = ReadEncodeCases(Path.Combine(Directory, "encode.jsonl"));
    }

    internal static List<CorpusCase> ReadEncodeCases(string path) =>
        File.ReadLines(path).Select((line, i) =>
        {
            using var json = JsonDocument.Parse(line);
            var root = json.RootElement;
            return new CorpusCase(i + 1, root.GetProperty("text").GetString()!, Ints(root.GetProperty("ids")),
                root.TryGetProperty("decoded", out var d) ? d.GetString()! : "");
        }).ToList();

    internal static int[] Ints(JsonElement array) => array.EnumerateArray().Select(e => e.GetInt32()).ToArray();

    [Test]
    public void Encodes_every_string_as_sentencepiece()
    {
        var mismatches = _cases.Where(c => !_tokenizer.Encode(c.Text).SequenceEqual(c.Ids)).ToList();
        Assert.That(mismatches, Is.Empty, Describe(mismatches, c => $"{JsonSerializer.Serialize(Shorten(c.Text))}: ours [{string.Join(", ", _tokenizer.Encode(c.Text).Take(12))}], sentencepiece [{string.Join(", ", c.Ids.Take(12))}]"));
    }

    [Test]
    public void Decodes_its_ids_as_sentencepiece()
    {
        var mismatches = _cases.Where(c => _tokenizer.Decode(c.Ids) != c.Decoded).ToList();
        Assert.That(mismatches, Is.Empty, Describe(mismatches, c => $"{JsonSerializer.Serialize(Shorten(c.Text))}: ours {JsonSerializer.Serialize(Shorten(_tokenizer.Decode(c.Ids)))}"));
    }

    [Test]
    public void Decodes_random_id_sequences_as_sentencepiece()
    {
        var cases = File.ReadLines(Path.Combine(Directory, "decode.jsonl")).Select((line, i) =>
        {
            using var json = JsonDocument.Parse(line);
            return new CorpusCase(i + 1, "", Ints(json.RootElement.GetProperty("ids")), json.RootElement.GetProperty("text").GetString()!);
        }).ToList();
        var mismatches = cases.Where(c => _tokenizer.Decode(c.Ids) != c.Decoded).ToList();
        Assert.That(mismatches, Is.Empty, Describe(mismatches, c => $"[{string.Join(", ", c.Ids)}]: ours {JsonSerializer.Serialize(_tokenizer.Decode(c.Ids))}, sentencepiece {JsonSerializer.Serialize(c.Decoded)}"));
    }

    [TestCase(1)]
    [TestCase(16)]
    [TestCase(300)]
    public void A_bounded_encode_is_the_prefix_of_the_whole_encode(int maxTokens)
    {
        var mismatches = _cases.Where(c => !_tokenizer.Encode(c.Text, maxTokens).SequenceEqual(c.Ids.Take(maxTokens))).ToList();
        Assert.That(mismatches, Is.Empty, Describe(mismatches, c => $"{JsonSerializer.Serialize(Shorten(c.Text))}: ours [{string.Join(", ", _tokenizer.Encode(c.Text, maxTokens).Take(12))}]"));
    }

    [TestCase(1_000)]
    [TestCase(20_000)]
    public void A_bounded_encode_of_a_long_text_cut_in_many_places_is_the_prefix_of_its_whole_encode(int maxTokens)
    {
        // The whole corpus as one text: the bounded encode cuts it into many chunks (for unigram each one starting
        // from the path score where the last ended), the whole encode runs one segmentation over all of it.
        string text = string.Join("\n", _cases.Select(c => c.Text));
        var whole = _tokenizer.Encode(text);
        Assert.That(whole, Has.Length.GreaterThan(maxTokens));
        Assert.That(_tokenizer.Encode(text, maxTokens), Is.EqualTo(whole.Take(maxTokens).ToArray()));
    }

    [Test]
    public void A_bounded_encode_refuses_a_text_it_cannot_cut_instead_of_tokenizing_all_of_it()
    {
        // A run of one character that a piece repeats ("aaaa" pieces exist: the fixtures trained on such runs) has
        // no exact cut: its first tokens depend on its length. Past the window the encode is refused, by name.
        var processor = ((SentencePieceTextTokenizer)_tokenizer).Processor;
        char? repeated = "a=-_*.0x".Cast<char?>().FirstOrDefault(c => !processor.IsExactCut($"{c}{c}{c}", 1));
        Assert.That(repeated, Is.Not.Null, "the fixture model has a piece of one repeated character");
        string run = new(repeated!.Value, ExactCutSearch.MaxUncutCharacters + 4096);
        var e = Assert.Throws<InvalidDataException>(() => _tokenizer.Encode(run, 16));
        Assert.That(e!.Message, Does.Contain("can be cut").And.Contain($"{ExactCutSearch.MaxUncutCharacters:N0}"));
        Assert.That(_tokenizer.Encode(run[..10_000], 16), Is.EqualTo(_tokenizer.Encode(run[..10_000]).Take(16).ToArray()),
            "a run shorter than the window is encoded whole and kept in part");
    }

    [Test]
    public void Every_encode_strategy_gives_sentencepieces_ids()
    {
        // The default encodes chunks between exact cuts through a per-thread cache; the other two are the same
        // chunks without the cache and the whole text in one BPE run. All three must give sentencepiece's ids.
        var processor = ((SentencePieceTextTokenizer)_tokenizer).Processor;
        try
        {
            foreach (var strategy in Enum.GetValues<EncodeStrategy>())
            {
                processor.Strategy = strategy;
                processor.ClearChunkCache();
                var mismatches = _cases.Where(c => !_tokenizer.Encode(c.Text).SequenceEqual(c.Ids)).ToList();
                Assert.That(mismatches, Is.Empty, $"{strategy}: " + Describe(mismatches, c => JsonSerializer.Serialize(Shorten(c.Text))));
            }
        }
        finally
        {
            processor.Strategy = EncodeStrategy.CachedChunks;
        }
    }

    [Test]
    public void A_text_longer_than_the_kept_buffers_encodes_alike_whole_and_in_chunks()
    {
        // The whole corpus as one text: one BPE run over more than 65 536 characters (buffers of its own) must give
        // the ids of the same text cut into chunks (the per-thread buffers).
        string text = string.Join("\n", _cases.Select(c => c.Text));
        Assert.That(text.Length, Is.GreaterThan(1 << 16));
        var processor = ((SentencePieceTextTokenizer)_tokenizer).Processor;
        var chunked = _tokenizer.Encode(text);
        try
        {
            processor.Strategy = EncodeStrategy.WholeText;
            Assert.That(_tokenizer.Encode(text), Is.EqualTo(chunked));
        }
        finally
        {
            processor.Strategy = EncodeStrategy.CachedChunks;
        }
    }

    [Test]
    public void Encodes_the_same_from_a_warm_chunk_cache_and_from_several_threads()
    {
        // Twice in a row on one thread (the second pass takes most chunks from the cache), then the whole corpus on
        // four threads at once, each starting at a different place: every thread has its own buffers and cache.
        var again = _cases.Where(c => !_tokenizer.Encode(c.Text).SequenceEqual(c.Ids) || !_tokenizer.Encode(c.Text).SequenceEqual(c.Ids)).ToList();
        Assert.That(again, Is.Empty, Describe(again, c => JsonSerializer.Serialize(Shorten(c.Text))));
        var wrong = new System.Collections.Concurrent.ConcurrentBag<int>();
        Parallel.For(0, 4, new ParallelOptions { MaxDegreeOfParallelism = 4 }, worker =>
        {
            for (int k = 0; k < _cases.Count; k++)
            {
                var c = _cases[(k + worker * _cases.Count / 4) % _cases.Count];
                if (!_tokenizer.Encode(c.Text).SequenceEqual(c.Ids)) wrong.Add(c.Line);
            }
        });
        Assert.That(wrong, Is.Empty, $"lines encoded differently on several threads: {string.Join(", ", wrong.Distinct().Take(12))}");
    }

    internal static string Describe<T>(IReadOnlyCollection<T> mismatches, Func<T, string> describe) =>
        $"{mismatches.Count} mismatches; first ones:\n" + string.Join("\n", mismatches.Take(8).Select(describe));

    internal static string Shorten(string text) => text.Length <= 80 ? text : text[..80] + $"…({text.Length} chars)";
}
