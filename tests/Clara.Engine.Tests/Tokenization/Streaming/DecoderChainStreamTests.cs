using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Clara.Engine.Tokenization;
using NUnit.Framework;

namespace Clara.Engine.Tests.Tokenization.Streaming;

/// <summary>
/// tokenizer.json decoder chains beyond the legacy one the fixtures use — Metaspace with each prepend scheme, steps
/// after Fuse that must hold text back (a two-character Replace, Strip at both ends, a byte piece that only the whole
/// fused text can form) — fed token by token must give exactly the list decode of the same tokens.
/// </summary>
public sealed class DecoderChainStreamTests
{
    /// <summary>Token strings that stress the steps: markers, spaces, byte pieces (valid and invalid runs), halves of a byte piece, empty.</summary>
    private static readonly string[] Tokens =
        ["▁", "▁the", "a", " ", "  ", "<0xE2>", "<0x82>", "<0xAC>", "<0x41>", "<0xFF>", "<0xC3>", "<0xA9>", "▁▁", "xy", "", "<0x", "E2>", "ab▁c", "b", "▁c"];

    private static JsonObject Replace(string pattern, string content) => new() { ["type"] = "Replace", ["pattern"] = new JsonObject { ["String"] = pattern }, ["content"] = content };
    private static JsonObject Strip(int start, int stop) => new() { ["type"] = "Strip", ["content"] = " ", ["start"] = start, ["stop"] = stop };
    private static JsonObject Metaspace(string scheme) => new() { ["type"] = "Metaspace", ["replacement"] = "▁", ["prepend_scheme"] = scheme, ["split"] = true };
    private static JsonObject Step(string type) => new() { ["type"] = type };
    private static JsonObject Sequence(params JsonObject[] steps) => new() { ["type"] = "Sequence", ["decoders"] = new JsonArray(steps) };

    public static IEnumerable<TestCaseData> Chains()
    {
        yield return new TestCaseData(Sequence(Replace("▁", " "), Step("ByteFallback"), Step("Fuse"), Strip(1, 0))).SetName("Legacy Llama chain");
        yield return new TestCaseData(Metaspace("always")).SetName("Metaspace always");
        yield return new TestCaseData(Metaspace("never")).SetName("Metaspace never");
        yield return new TestCaseData(Sequence(Step("ByteFallback"), Metaspace("first"))).SetName("ByteFallback then Metaspace first");
        yield return new TestCaseData(Sequence(Step("Fuse"), Replace("▁▁", "_"), Strip(2, 2))).SetName("Fused two-character Replace and Strip at both ends");
        yield return new TestCaseData(Sequence(Step("Fuse"), Step("ByteFallback"))).SetName("ByteFallback after Fuse");
        yield return new TestCaseData(Sequence(Strip(1, 1), Step("Fuse"), Metaspace("first"))).SetName("Strip per token then fused Metaspace");
        yield return new TestCaseData(Sequence(Replace("ab", "X"), Step("Fuse"), Replace("▁c", "Y"), Step("Fuse"))).SetName("Replace before and after Fuse");
        yield return new TestCaseData(null).SetName("No decoder");
    }

    [TestCaseSource(nameof(Chains))]
    public void Streaming_tokens_gives_the_list_decode(JsonObject? decoder)
    {
        using var root = JsonDocument.Parse(new JsonObject { ["decoder"] = decoder }.ToJsonString());
        var chain = HfDecoderChain.Read(root.RootElement, "test.json");
        var random = new Random(99);
        var failures = new List<string>();
        for (int sequence = 0; sequence < 2000; sequence++)
        {
            var tokens = Enumerable.Range(0, random.Next(0, 12)).Select(_ => Tokens[random.Next(Tokens.Length)]).ToList();
            var stage = chain.Stream();
            var output = new StringBuilder();
            foreach (var token in tokens) stage.Push(token, output);
            stage.Finish(output);
            string full = chain.Decode(tokens);
            if (output.ToString() != full)
                failures.Add($"{JsonSerializer.Serialize(tokens)}: streamed {JsonSerializer.Serialize(output.ToString())}, decoded {JsonSerializer.Serialize(full)}");
        }
        Assert.That(failures, Is.Empty, string.Join("\n", failures.Take(10)));
    }

    [Test]
    public void A_fused_strip_holds_back_only_what_could_still_be_trailing()
    {
        using var root = JsonDocument.Parse(new JsonObject { ["decoder"] = Sequence(Step("Fuse"), Strip(0, 1)) }.ToJsonString());
        var stage = HfDecoderChain.Read(root.RootElement, "test.json").Stream();
        var output = new StringBuilder();
        stage.Push("a  ", output);
        Assert.That(output.ToString(), Is.EqualTo("a "), "one space can still be the stripped trailing one");
        stage.Push("b", output);
        Assert.That(output.ToString(), Is.EqualTo("a  b"));
        stage.Push(" ", output);
        stage.Finish(output);
        Assert.That(output.ToString(), Is.EqualTo("a  b"));
    }
}
