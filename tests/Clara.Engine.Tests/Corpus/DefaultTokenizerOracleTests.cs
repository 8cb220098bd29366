using System.Text.Json;
using Clara.Engine.Tests.Support;
using Clara.Engine.Tokenization;
using NUnit.Framework;

namespace Clara.Engine.Tests.Corpus;

/// <summary>
/// A tokenizer made as tools/make-tokenizer.py makes the default model's (CLaRa tokens as user-defined symbols inside
/// the SentencePiece vocabulary) is read by the engine exactly as Google's sentencepiece encodes it
/// (tests/oracle/default_tokenizer_fixtures.py).
/// </summary>
public class DefaultTokenizerOracleTests
{
    public static string Directory => Path.Combine(Fixtures.Root, "tokenizers", "default-style");

    private static JsonElement Expected() => JsonDocument.Parse(File.ReadAllText(Path.Combine(Directory, "expected.json"))).RootElement;

    private static IEnumerable<TestCaseData> Cases() =>
        Expected().GetProperty("cases").EnumerateArray().Select((c, i) => new TestCaseData(
            c.GetProperty("text").GetString()!, c.GetProperty("ids").EnumerateArray().Select(e => e.GetInt32()).ToArray(),
            c.GetProperty("decoded").GetString()!).SetArgDisplayNames($"case {i}"));

    [TestCaseSource(nameof(Cases))]
    public void EncodesAndDecodesAsSentencePiece(string text, int[] ids, string decoded)
    {
        var tokenizer = TokenizerLoader.Load(Directory);
        Assert.That(tokenizer.Encode(text), Is.EqualTo(ids), text);
        Assert.That(tokenizer.Decode(ids), Is.EqualTo(decoded));
    }

    [Test]
    public void SpecialTokensAreTheUserDefinedPieces()
    {
        var expected = Expected();
        var tokenizer = TokenizerLoader.Load(Directory);
        Assert.That(tokenizer.VocabSize, Is.EqualTo(expected.GetProperty("pieces").GetInt32()), "no id beyond the model's own pieces");
        foreach (var special in expected.GetProperty("special_ids").EnumerateObject())
            Assert.That(tokenizer.SpecialTokens[special.Name], Is.EqualTo(special.Value.GetInt32()), special.Name);
        Assert.That(tokenizer.BosId, Is.EqualTo(expected.GetProperty("bos_id").GetInt32()));
        Assert.That(tokenizer.EosId, Is.EqualTo(expected.GetProperty("eos_id").GetInt32()));
    }
}
