using System.Text.Json;
using Clara.Engine.Tests.Support;
using Clara.Engine.Tokenization;
using NUnit.Framework;

namespace Clara.Engine.Tests.Corpus;

/// <summary>
/// A tokenizer made as tools/make-tokenizer.py makes the default model's (CLaRa tokens as user-defined symbols inside
/// the SentencePiece vocabulary) is read by the engine exactly as Google's sentencepiece encodes it
/// (tests/oracle/default_tokenizer_fixtures.py), with its numbers split into digits (default-style) or, as
/// make-tokenizer.py --whole-numbers makes them, whole numbers as pieces of their own (default-style-numbers).
/// </summary>
public class DefaultTokenizerOracleTests
{
    private static readonly string[] Styles = ["default-style", "default-style-numbers"];

    public static string Directory => StyleDirectory(Styles[0]);

    private static string StyleDirectory(string style) => Path.Combine(Fixtures.Root, "tokenizers", style);

    private static JsonElement Expected(string style) =>
        JsonDocument.Parse(File.ReadAllText(Path.Combine(StyleDirectory(style), "expected.json"))).RootElement;

    private static IEnumerable<TestCaseData> Cases() =>
        Styles.SelectMany(style => Expected(style).GetProperty("cases").EnumerateArray().Select((c, i) => new TestCaseData(
            style, c.GetProperty("text").GetString()!, c.GetProperty("ids").EnumerateArray().Select(e => e.GetInt32()).ToArray(),
            c.GetProperty("decoded").GetString()!).SetArgDisplayNames(style, $"case {i}")));

    [TestCaseSource(nameof(Cases))]
    public void EncodesAndDecodesAsSentencePiece(string style, string text, int[] ids, string decoded)
    {
        var tokenizer = TokenizerLoader.Load(StyleDirectory(style));
        Assert.That(tokenizer.Encode(text), Is.EqualTo(ids), text);
        Assert.That(tokenizer.Decode(ids), Is.EqualTo(decoded));
    }

    [Test]
    public void WholeNumbersAreOnePieceEach()
    {
        var tokenizer = TokenizerLoader.Load(StyleDirectory("default-style-numbers"));
        Assert.That(tokenizer.Encode("1844"), Has.Length.EqualTo(1), "a number of the training text is one piece");
        Assert.That(TokenizerLoader.Load(Directory).Encode("1844"), Has.Length.GreaterThan(1), "split digits without --whole-numbers");
    }

    [TestCase("default-style")]
    [TestCase("default-style-numbers")]
    public void SpecialTokensAreTheUserDefinedPieces(string style)
    {
        var expected = Expected(style);
        var tokenizer = TokenizerLoader.Load(StyleDirectory(style));
        Assert.That(tokenizer.VocabSize, Is.EqualTo(expected.GetProperty("pieces").GetInt32()), "no id beyond the model's own pieces");
        foreach (var special in expected.GetProperty("special_ids").EnumerateObject())
            Assert.That(tokenizer.SpecialTokens[special.Name], Is.EqualTo(special.Value.GetInt32()), special.Name);
        Assert.That(tokenizer.BosId, Is.EqualTo(expected.GetProperty("bos_id").GetInt32()));
        Assert.That(tokenizer.EosId, Is.EqualTo(expected.GetProperty("eos_id").GetInt32()));
    }
}
