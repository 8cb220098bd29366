using System.Text.Json.Nodes;
using NUnit.Framework;

namespace Clara.Engine.Tests.Hostile;

/// <summary>
/// Item 6: adapter settings PEFT honours but the engine does not implement are refused, and the same way by the
/// runtime (loading the directory) and by the converter: one parser decides for both.
/// </summary>
[NonParallelizable]
public class PeftSettingTests
{
    private HostileScratch _scratch = null!;

    [SetUp]
    public void Create() => _scratch = new HostileScratch();

    [TearDown]
    public void Remove() => _scratch.Dispose();

    private static IEnumerable<TestCaseData> Settings()
    {
        yield return new TestCaseData("use_dora", (JsonNode)true, "use_dora").SetName("UseDora");
        yield return new TestCaseData("alpha_pattern", JsonNode.Parse("{\"q_proj\": 16}")!, "alpha_pattern").SetName("AlphaPattern");
        yield return new TestCaseData("rank_pattern", JsonNode.Parse("{\"q_proj\": 2}")!, "rank_pattern").SetName("RankPattern");
        yield return new TestCaseData("target_modules", JsonNode.Parse("[\"q_proj\", \"v_proj\"]")!, "target_modules").SetName("NarrowerTargetModules");
        yield return new TestCaseData("layers_to_transform", JsonNode.Parse("[0]")!, "layers_to_transform").SetName("LayersToTransform");
        yield return new TestCaseData("target_modules", (JsonNode)".*proj", "regular expression").SetName("RegexTargetModules");
        yield return new TestCaseData("lora_alpha", JsonNode.Parse("1e39")!, "lora_alpha").SetName("AlphaPastFloat");
    }

    private string DoctoredModel(string key, JsonNode value)
    {
        string model = HostileModels.ClaraCopy(_scratch);
        string config = Path.Combine(model, "adapters", "encoder_adapter", "adapter_config.json");
        var json = JsonNode.Parse(File.ReadAllText(config))!.AsObject();
        json[key] = value.DeepClone();
        File.WriteAllText(config, json.ToJsonString());
        return model;
    }

    [TestCaseSource(nameof(Settings))]
    public void RuntimeRefusesTheSetting(string key, JsonNode value, string named)
    {
        var result = HostileRun.InProcess("info", DoctoredModel(key, value));
        Assert.That(result.ExitCode, Is.EqualTo(1), result.ToString());
        Assert.That(result.Stderr, Does.Contain(named).And.Contain("encoder_adapter"), result.ToString());
    }

    [TestCaseSource(nameof(Settings))]
    public void ConverterRefusesTheSetting(string key, JsonNode value, string named)
    {
        string model = DoctoredModel(key, value);
        string output = _scratch.WriteText("out.safetensors", "older");
        var before = OutputPathState.Of(output);
        var result = HostileRun.InProcess("convert", model, "--out", output, "--quiet");
        Assert.That(result.ExitCode, Is.EqualTo(1), result.ToString());
        // The converter words a narrower target list in its own terms ("its target_modules do not list").
        Assert.That(result.Stderr, Does.Contain(named == "target_modules" ? "target" : named), result.ToString());
        OutputPathState.AssertUnchanged(output, before);
    }

    [Test]
    public void OneParserServesBoth()
    {
        // The converter's LoraSettings is built from the engine's parser: a setting it reads, the engine reads the same.
        string config = _scratch.WriteText("adapter_config.json", "{\"peft_type\": \"LORA\", \"r\": 4, \"lora_alpha\": 16, \"use_rslora\": true, \"layers_to_transform\": [1], \"target_modules\": [\"q_proj\"]}");
        var engine = global::Clara.Engine.Models.PeftAdapterConfig.LoadValues(config);
        var converter = global::Clara.Convert.Model.LoraSettings.LoadPeftConfig(config);
        Assert.That((converter.Rank, converter.Alpha, converter.UseRsLora), Is.EqualTo((engine.Rank, engine.Alpha, engine.UseRsLora)));
        Assert.That(converter.LayersToTransform, Is.EqualTo(engine.LayersToTransform));
        Assert.That(converter.TargetModules, Is.EqualTo(engine.TargetModules));
    }
}
