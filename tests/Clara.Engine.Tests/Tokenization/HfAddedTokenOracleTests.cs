using System.Text.Json;
using Clara.Engine.Tests.Support;
using Clara.Engine.Tokenization;
using NUnit.Framework;

namespace Clara.Engine.Tests.Tokenization;

/// <summary>
/// tokenizer.json files whose added tokens strip whitespace (lstrip/rstrip), match single words only, are not
/// special, or are matched after normalization, in the legacy (normalizer) and the Metaspace layout, against
/// Hugging Face's Rust tokenizers (tests/oracle/make_hf_added_token_fixtures.py): ~630 strings, encode and
/// decode (skip_special_tokens).
/// </summary>
[TestFixture("legacy")]
[TestFixture("metaspace")]
public sealed class HfAddedTokenOracleTests(string layout)
{
    private ITextTokenizer _tokenizer = null!;
    private List<CorpusCase> _cases = null!;

    [OneTimeSetUp]
    public void Load()
    {
        string directory = Path.Combine(Fixtures.Root, "tokenizers", "added", layout);
        _tokenizer = TokenizerLoader.Load(directory);
        _cases = SentencePieceCorpusOracleTests.ReadEncodeCases(Path.Combine(directory, "expected.jsonl"));
    }

    [Test]
    public void Encodes_every_string_as_hugging_face()
    {
        var mismatches = _cases.Where(c => !_tokenizer.Encode(c.Text).SequenceEqual(c.Ids)).ToList();
        Assert.That(mismatches, Is.Empty, SentencePieceCorpusOracleTests.Describe(mismatches, c =>
            $"{JsonSerializer.Serialize(SentencePieceCorpusOracleTests.Shorten(c.Text))}: ours [{string.Join(", ", _tokenizer.Encode(c.Text).Take(14))}], HF [{string.Join(", ", c.Ids.Take(14))}]"));
    }

    [Test]
    public void Decodes_every_id_list_as_hugging_face()
    {
        var mismatches = _cases.Where(c => _tokenizer.Decode(c.Ids) != c.Decoded).ToList();
        Assert.That(mismatches, Is.Empty, SentencePieceCorpusOracleTests.Describe(mismatches, c =>
            $"[{string.Join(", ", c.Ids.Take(14))}]: ours {JsonSerializer.Serialize(_tokenizer.Decode(c.Ids))}, HF {JsonSerializer.Serialize(c.Decoded)}"));
    }

    [TestCase(1)]
    [TestCase(7)]
    public void A_bounded_encode_is_the_prefix_of_the_whole_encode(int maxTokens)
    {
        var mismatches = _cases.Where(c => !_tokenizer.Encode(c.Text, maxTokens).SequenceEqual(c.Ids.Take(maxTokens))).ToList();
        Assert.That(mismatches, Is.Empty, SentencePieceCorpusOracleTests.Describe(mismatches, c => JsonSerializer.Serialize(c.Text)));
    }

    [TestCase(500)]
    [TestCase(5_000)]
    public void A_bounded_encode_of_a_long_text_cut_in_many_places_is_the_prefix_of_its_whole_encode(int maxTokens)
    {
        // Without Metaspace's split the whole text is one word: a bounded encode cuts it where no merge can join
        // the sides; the whole encode merges it in one piece.
        string text = string.Concat(Enumerable.Repeat(string.Join(" ", _cases.Select(c => c.Text)), 4));
        var whole = _tokenizer.Encode(text);
        Assert.That(whole, Has.Length.GreaterThan(maxTokens));
        Assert.That(_tokenizer.Encode(text, maxTokens), Is.EqualTo(whole.Take(maxTokens).ToArray()));
    }
}
