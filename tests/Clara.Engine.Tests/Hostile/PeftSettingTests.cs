using System.Text.Json.Nodes;
using Clara.Engine.Backends.Cpu;
using Clara.Engine.IO.Safetensors;
using Clara.Engine.Models;
using Clara.Engine.Tensors;
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

    /// <summary>
    /// An adapter_config.json without lora_alpha gets PEFT's LoraConfig default, 8, in the runtime and in the converter
    /// (the file written and the directory written). r = 2 so that 8 is told apart from r and from the reference's 2·r.
    /// </summary>
    [Test]
    public void MissingLoraAlphaIsPeftsDefaultEverywhere()
    {
        string hf = Path.Combine(TestContext.CurrentContext.TestDirectory, "fixtures", "checkpoint-forms", "hf-single");
        var config = ModelConfig.Load(Path.Combine(hf, "config.json"));
        string adapter = Directory.CreateDirectory(_scratch.File("no-alpha")).FullName;
        File.WriteAllText(Path.Combine(adapter, "adapter_config.json"), "{\"peft_type\": \"LORA\", \"r\": 2, \"target_modules\": [\"q_proj\"]}");
        var (o, n) = LinearSlot.Q.Dims(config);
        var random = new Random(5);
        var factors = Enumerable.Range(0, config.Layers).SelectMany(layer => new[]
        {
            TensorToWrite.FromFloat32(WeightNames.PeftLora(layer, LinearSlot.Q, 'A'), new Shape(2, n), Values(2 * n)),
            TensorToWrite.FromFloat32(WeightNames.PeftLora(layer, LinearSlot.Q, 'B'), new Shape(o, 2), Values(o * 2)),
        }).ToList();
        SafetensorsWriter.Write(Path.Combine(adapter, "adapter_model.safetensors"), factors);
        float[] Values(int count) => Enumerable.Range(0, count).Select(_ => (float)random.NextDouble() - 0.5f).ToArray();

        Assert.That(PeftAdapterConfig.DefaultLoraAlpha, Is.EqualTo(8));
        using var backend = new CpuBackend(1);
        using (var runtime = CheckpointLoader.LoadAdapter(adapter, "no-alpha", config, backend))
            Assert.That((runtime.Settings.Alpha, runtime.Scale), Is.EqualTo((8f, 4f)));

        string converted = _scratch.File("converted.safetensors");
        var result = HostileRun.InProcess("convert", hf, adapter, "--out", converted, "--dtype", "f32", "--quiet");
        Assert.That(result.ExitCode, Is.Zero, result.ToString());
        var (weights, adapters, _) = EngineFile.Load(converted, backend);
        using (weights)
        {
            Assert.That(adapters.Single().Settings, Has.Property("Alpha").EqualTo(8f).And.Property("Scale").EqualTo(4f));
            foreach (var a in adapters) a.Dispose();
        }

        string directory = _scratch.File("converted-dir");
        result = HostileRun.InProcess("convert", hf, adapter, "--to-dir", directory, "--dtype", "f32", "--quiet");
        Assert.That(result.ExitCode, Is.Zero, result.ToString());
        var written = PeftAdapterConfig.LoadValues(Path.Combine(directory, "adapters", "no-alpha", "adapter_config.json"));
        Assert.That(written.Alpha, Is.EqualTo(8));
        Assert.That(File.ReadAllText(Path.Combine(directory, "adapters", "no-alpha", "adapter_config.json")), Does.Contain("\"lora_alpha\""),
            "written explicitly, so no reader has to know the default");
    }
}
