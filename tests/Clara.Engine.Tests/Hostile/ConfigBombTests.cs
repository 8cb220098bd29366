using System.Text.Json.Nodes;
using NUnit.Framework;

namespace Clara.Engine.Tests.Hostile;

/// <summary>
/// Items 3, 5, 9 and 11 (config side): config values that used to make loading enumerate millions of tensor
/// names, overflow, turn into infinity or crash the JSON reader. Each is exit 1 with the field named, bounded.
/// </summary>
[NonParallelizable]
public class ConfigBombTests
{
    private const long PeakRssBound = 400L << 20;
    private HostileScratch _scratch = null!;

    [SetUp]
    public void Create() => _scratch = new HostileScratch();

    [TearDown]
    public void Remove() => _scratch.Dispose();

    private static IEnumerable<TestCaseData> Configs()
    {
        yield return new TestCaseData("num_hidden_layers", (JsonNode)1_000_000, "num_hidden_layers").SetName("MillionLayers");
        yield return new TestCaseData("num_hidden_layers", (JsonNode)2_000_000_000, "num_hidden_layers").SetName("TwoBillionLayers");
        yield return new TestCaseData("num_hidden_layers", (JsonNode)100, "num_hidden_layers").SetName("MoreLayersThanTheWeightsHold");
        yield return new TestCaseData("vocab_size", (JsonNode)2147483648L, "vocab_size").SetName("VocabPastInt32");
        yield return new TestCaseData("rope_theta", (JsonNode)1e300, "rope_theta").SetName("RopeThetaPastFloat");
        yield return new TestCaseData("rms_norm_eps", JsonNode.Parse("1e39")!, "rms_norm_eps").SetName("RmsEpsPastFloat");
    }

    [TestCaseSource(nameof(Configs))]
    public void EngineRefusesTheConfigWithinBounds(string field, JsonNode value, string named)
    {
        string model = HostileModels.HfDirectory(_scratch, c => c[field] = value.DeepClone());
        var result = HostileRun.Child(["info", model], timeoutSeconds: 30);
        Assert.That(result.ExitCode, Is.EqualTo(1), result.ToString());
        Assert.That(result.Stderr, Does.Contain(named), result.ToString());
        Assert.That(result.Stderr.Length, Is.LessThan(8000), "the error lists a bounded number of problems");
        Assert.That(result.PeakRssBytes, Is.LessThan(PeakRssBound), result.ToString());
    }

    [TestCaseSource(nameof(Configs))]
    public void ConverterRefusesTheConfigWithinBounds(string field, JsonNode value, string named)
    {
        string model = HostileModels.HfDirectory(_scratch, c => c[field] = value.DeepClone());
        string output = _scratch.WriteText("out.safetensors", "older");
        var before = OutputPathState.Of(output);
        var result = HostileRun.Child(["convert", model, "--out", output, "--quiet"], timeoutSeconds: 30);
        Assert.That(result.ExitCode, Is.EqualTo(1), result.ToString());
        Assert.That(result.Stderr, Does.Contain(named), result.ToString());
        Assert.That(result.Stderr.Length, Is.LessThan(8000), "the error lists a bounded number of problems");
        Assert.That(result.PeakRssBytes, Is.LessThan(PeakRssBound), result.ToString());
        OutputPathState.AssertUnchanged(output, before);
    }

    [TestCase("clara.config", "{\"model_type\": \"mistral\", oops", "clara.config")]
    [TestCase("clara.clara", "[1, 2", "clara.clara")]
    [TestCase("clara.clara", "{\"doc_max_length\": 12, \"compression_rate\": 4, \"mem_token_ids\": [131, 132, 133], \"enc_token_id\": 135, \"sep_token_id\": 136, \"ae_token_id\": 134, \"pad_token_id\": 137, \"bos_token_id\": 1, \"eos_token_id\": 2, \"temperature\": 1e300}",
        "temperature")]
    [TestCase("clara.adapters", "{\"encoder_adapter\": {\"r\": 4, \"alpha\": 8, \"targets\": [\"q_proj\"]}}", "unknown target \"q_proj\"")]
    [TestCase("clara.adapters", "{\"encoder_adapter\": {\"alpha\": 8, \"targets\": [\"wq\"]}}", "'r' is missing")]
    public void ConvertedFileWithBadMetadataIsAnErrorNamingTheKey(string key, string json, string named)
    {
        string converted = HostileModels.ConvertedClara(_scratch);
        string doctored = HostileModels.WithMetadata(converted, _scratch.File("doctored.safetensors"), m => m[key] = json);
        var result = HostileRun.InProcess("info", doctored);
        Assert.That(result.ExitCode, Is.EqualTo(1), result.ToString());
        Assert.That(result.Stderr, Does.Contain(named).And.Contain("doctored.safetensors"), result.ToString());
    }

    [Test]
    public void ConvertedFileClaimingTwoBillionLayersIsRefusedWithinBounds()
    {
        string converted = HostileModels.ConvertedClara(_scratch);
        string doctored = HostileModels.WithMetadata(converted, _scratch.File("layers.safetensors"), m =>
        {
            var config = JsonNode.Parse(m["clara.config"]!.GetValue<string>())!.AsObject();
            config["num_hidden_layers"] = 2_000_000_000;
            m["clara.config"] = config.ToJsonString();
        });
        var result = HostileRun.Child(["info", doctored], timeoutSeconds: 30);
        Assert.That(result.ExitCode, Is.EqualTo(1), result.ToString());
        Assert.That(result.Stderr, Does.Contain("num_hidden_layers"), result.ToString());
        Assert.That(result.PeakRssBytes, Is.LessThan(PeakRssBound), result.ToString());
    }
}
