using System.Text.Json;
using Clara.Engine.Tests.Support;
using Clara.Engine.Tokenization;
using NUnit.Framework;

namespace Clara.Engine.Tests.Tokenization;

/// <summary>
/// The fixture directories of tests/oracle/make_tokenizer_fixtures.py — one SentencePiece model trained by
/// Google's sentencepiece, and the same model as Hugging Face tokenizer.json in the legacy (Prepend + Replace)
/// and the Metaspace layout — against the ids and texts sentencepiece itself produced.
/// </summary>
public abstract class SentencePieceOracleSuite(string directory)
{
    private static readonly JsonElement Expected = LoadExpected();
    private ITextTokenizer _tokenizer = null!;

    private static JsonElement LoadExpected()
    {
        using var doc = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(Fixtures.Root, "tokenizers", "expected.json")));
        return doc.RootElement.Clone();
    }

    protected static IEnumerable<TestCaseData> Cases(Func<string, bool, bool> include) =>
        Expected.GetProperty("cases").EnumerateArray()
            .Where(c => include(c.GetProperty("text").GetString()!, c.GetProperty("has_added_tokens").GetBoolean()))
            .Select(c => new TestCaseData(c.GetProperty("text").GetString()!, Ints(c.GetProperty("ids")), Ints(c.GetProperty("decode_ids")),
                c.GetProperty("decoded").GetString()!)
            .SetArgDisplayNames(JsonSerializer.Serialize(c.GetProperty("text").GetString())));

    private static int[] Ints(JsonElement array) => array.EnumerateArray().Select(e => e.GetInt32()).ToArray();

    [OneTimeSetUp]
    public void Load() => _tokenizer = TokenizerLoader.Load(Path.Combine(Fixtures.Root, "tokenizers", directory));

    protected void AssertEncodes(string text, int[] ids) => Assert.That(_tokenizer.Encode(text), Is.EqualTo(ids));

    protected void AssertDecodes(int[] decodeIds, string decoded) => Assert.That(_tokenizer.Decode(decodeIds), Is.EqualTo(decoded));

    [Test]
    public void Reports_the_fixture_ids()
    {
        var added = Expected.GetProperty("added_tokens").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetInt32());
        Assert.Multiple(() =>
        {
            Assert.That(_tokenizer.BosId, Is.EqualTo(directory == "hf-metaspace" ? null : Expected.GetProperty("bos_id").GetInt32()),
                "hf-metaspace has no tokenizer_config.json naming the BOS token");
            Assert.That(_tokenizer.VocabSize, Is.EqualTo(Expected.GetProperty("vocab_size").GetInt32()));
            foreach (var (content, id) in added)
                Assert.That(_tokenizer.SpecialTokens[content], Is.EqualTo(id), content);
        });
    }
}

/// <summary>tokenizer.model itself and the legacy tokenizer.json layout follow SentencePiece on every case.</summary>
[TestFixture("spm")]
[TestFixture("hf-legacy")]
public sealed class SentencePieceOracleTests(string directory) : SentencePieceOracleSuite(directory)
{
    public static IEnumerable<TestCaseData> AllCases() => Cases((_, _) => true);

    [TestCaseSource(nameof(AllCases))]
    public void Encodes_as_sentencepiece(string text, int[] ids, int[] decodeIds, string decoded) => AssertEncodes(text, ids);

    [TestCaseSource(nameof(AllCases))]
    public void Decodes_as_sentencepiece_skipping_special_ids(string text, int[] ids, int[] decodeIds, string decoded) => AssertDecodes(decodeIds, decoded);
}

/// <summary>
/// The Metaspace layout differs from SentencePiece by design in two places: it prepends no "▁" to text that
/// already starts with a space, and (prepend_scheme "first") none to text after an added token. The fixture's
/// expectations are SentencePiece's, so only the cases where the rules agree are compared.
/// </summary>
[TestFixture]
public sealed class MetaspaceLayoutOracleTests() : SentencePieceOracleSuite("hf-metaspace")
{
    public static IEnumerable<TestCaseData> AgreeingCases() => Cases((text, hasAddedTokens) => !hasAddedTokens && !text.StartsWith(' '));

    [TestCaseSource(nameof(AgreeingCases))]
    public void Encodes_as_sentencepiece(string text, int[] ids, int[] decodeIds, string decoded) => AssertEncodes(text, ids);

    [TestCaseSource(nameof(AgreeingCases))]
    public void Decodes_as_sentencepiece_skipping_special_ids(string text, int[] ids, int[] decodeIds, string decoded) => AssertDecodes(decodeIds, decoded);
}
