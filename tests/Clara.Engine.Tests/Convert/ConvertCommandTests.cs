using System.Text.Json.Nodes;
using NUnit.Framework;

namespace Clara.Engine.Tests.Convert;

/// <summary>
/// Every checkpoint form converts to tensors equal to what PyTorch wrote in tests/fixtures/checkpoint-forms/expected
/// (bit-exact for f32; PyTorch's round-to-nearest-even for bf16). The converted file is read back with the test's own
/// minimal safetensors parser, not with the engine's reader.
/// </summary>
public class ConvertCommandTests
{
    private ScratchDirectory _scratch = null!;

    [SetUp]
    public void SetUp() => _scratch = new ScratchDirectory();

    [TearDown]
    public void TearDown() => _scratch.Dispose();

    private Dictionary<string, ReferenceTensor> Convert(params string[] args)
    {
        string output = _scratch.File("out.safetensors");
        var result = ConvertCli.Run([.. args, "--out", output, "--quiet"]);
        Assert.That(result.ExitCode, Is.Zero, result.ToString());
        return ReferenceSafetensors.Read(output);
    }

    private static void AssertTensorsEqual(Dictionary<string, ReferenceTensor> actual, Dictionary<string, ReferenceTensor> expected, IEnumerable<string> names)
    {
        foreach (var name in names)
        {
            Assert.That(actual, Does.ContainKey(name));
            Assert.That(actual[name].DType, Is.EqualTo(expected[name].DType), name);
            Assert.That(actual[name].Shape, Is.EqualTo(expected[name].Shape), name);
            Assert.That(actual[name].Bytes, Is.EqualTo(expected[name].Bytes), $"{name}: values differ from PyTorch's");
        }
    }

    [Test]
    public void HfDirectoryToF32IsBitExact()
    {
        var actual = Convert(Fixtures.File("hf-single"), "--dtype", "f32");
        var expected = ReferenceSafetensors.Read(Fixtures.Expected("base_f32.safetensors"));
        Assert.That(actual.Keys, Is.EquivalentTo(expected.Keys));
        AssertTensorsEqual(actual, expected, expected.Keys);
    }

    [Test]
    public void HfDirectoryToBf16RoundsAsPyTorchDoesAndKeepsNormsF32()
    {
        var actual = Convert(Fixtures.File("hf-single")); // bf16 is the default
        var expected = ReferenceSafetensors.Read(Fixtures.Expected("base_bf16.safetensors"));
        Assert.That(actual.Keys, Is.EquivalentTo(expected.Keys));
        AssertTensorsEqual(actual, expected, expected.Keys);
        Assert.That(actual["layers.0.attn_norm"].DType, Is.EqualTo("F32"));
        Assert.That(actual["layers.0.wq"].DType, Is.EqualTo("BF16"));
    }

    [Test]
    public void HfDirectoryToF16MatchesPyTorch()
    {
        var actual = Convert(Fixtures.File("hf-single"), "--dtype", "f16");
        var expected = ReferenceSafetensors.Read(Fixtures.Expected("base_f16.safetensors"));
        AssertTensorsEqual(actual, expected, expected.Keys);
    }

    [Test]
    public void TiedEmbeddingsLeaveLmHeadOutAndSayWhy()
    {
        var config = JsonNode.Parse(File.ReadAllText(Fixtures.File("config.json")))!.AsObject();
        config["tie_word_embeddings"] = true;
        string configPath = _scratch.File("config.json");
        File.WriteAllText(configPath, config.ToJsonString());
        string output = _scratch.File("out.safetensors");

        var result = ConvertCli.Run(Fixtures.File("model.pth"), "--config", configPath, "--out", output, "--quiet");
        Assert.That(result.ExitCode, Is.Zero, result.ToString());
        Assert.That(result.Stdout, Does.Contain("lm_head").And.Contain("ties it to the embedding"));
        Assert.That(ReferenceSafetensors.Read(output).Keys, Does.Not.Contain("lm_head").And.Contain("tok_embeddings"));
        Assert.That(ConvertCli.Run("verify", output).ExitCode, Is.Zero, "verify expects no lm_head when tied");
    }

    [Test]
    public void ShardedBf16DirectoryConverts()
    {
        var widened = ReferenceSafetensors.Read(Fixtures.Expected("base_from_bf16_f32.safetensors"));
        AssertTensorsEqual(Convert(Fixtures.File("hf-sharded-bf16"), "--dtype", "f32"), widened, widened.Keys);

        var bf16 = Convert(Fixtures.File("hf-sharded-bf16"), "--dtype", "bf16");
        var expectedBf16 = ReferenceSafetensors.Read(Fixtures.Expected("base_bf16.safetensors"));
        var norms = widened.Keys.Where(k => k == "norm" || k.EndsWith("_norm")).ToList();
        AssertTensorsEqual(bf16, expectedBf16, expectedBf16.Keys.Except(norms));
        AssertTensorsEqual(bf16, widened, norms); // stored bf16, kept as exact f32
    }

    [TestCase("model.pth")]
    [TestCase("model-legacy.pth")]
    [TestCase("model-protocol4.pth")]
    public void TorchSaveFileWithConfigIsBitExact(string file)
    {
        var actual = Convert(Fixtures.File(file), "--config", Fixtures.File("config.json"), "--dtype", "f32");
        var expected = ReferenceSafetensors.Read(Fixtures.Expected("base_f32.safetensors"));
        Assert.That(actual.Keys, Is.EquivalentTo(expected.Keys));
        AssertTensorsEqual(actual, expected, expected.Keys);
    }

    [Test]
    public void PeftAdapterDirectoryConvertsWithItsScale()
    {
        string output = _scratch.File("out.safetensors");
        var result = ConvertCli.Run(Fixtures.File("hf-single"), "encoder_adapter=" + Fixtures.File("peft-encoder_adapter"),
            Fixtures.File("peft-qv-rslora"), "--dtype", "f32", "--out", output, "--quiet");
        Assert.That(result.ExitCode, Is.Zero, result.ToString());

        var actual = ReferenceSafetensors.Read(output);
        var expected = ReferenceSafetensors.Read(Fixtures.Expected("adapters_f32.safetensors"));
        AssertTensorsEqual(actual, expected, expected.Keys.Where(k => k.StartsWith("adapters.encoder_adapter.")));
        var rslora = ReferenceSafetensors.Read(Fixtures.Expected("peft_qv_rslora_f32.safetensors"));
        AssertTensorsEqual(actual, rslora, rslora.Keys);
        Assert.That(actual.Keys.Count(k => k.StartsWith("adapters.")), Is.EqualTo(28 + rslora.Count));

        var adapters = JsonNode.Parse(ReferenceSafetensors.Metadata(output)["clara.adapters"])!;
        var facts = Fixtures.Facts;
        Assert.That(adapters["encoder_adapter"]!["scale"]!.GetValue<double>(), Is.EqualTo(facts.GetProperty("scale_plain").GetDouble()));
        Assert.That(adapters["encoder_adapter"]!["r"]!.GetValue<int>(), Is.EqualTo(facts.GetProperty("lora_r").GetInt32()));
        Assert.That(adapters["peft-qv-rslora"]!["rslora"]!.GetValue<bool>(), Is.True);
        Assert.That(adapters["peft-qv-rslora"]!["scale"]!.GetValue<double>(), Is.EqualTo(facts.GetProperty("scale_rslora").GetDouble()).Within(1e-12));
        Assert.That(adapters["peft-qv-rslora"]!["targets"]!.AsArray().Select(n => n!.GetValue<string>()), Is.EqualTo(new[] { "wq", "wv" }));
    }

    [Test]
    public void PeftLayersToTransformAdaptsOnlyThoseLayersAndVerifies()
    {
        string output = _scratch.File("out.safetensors");
        var result = ConvertCli.Run(Fixtures.File("hf-single"), Fixtures.File("peft-layer1-q"), "--dtype", "f32", "--out", output, "--quiet");
        Assert.That(result.ExitCode, Is.Zero, result.ToString());
        var expected = ReferenceSafetensors.Read(Fixtures.Expected("peft_layer1_q_f32.safetensors"));
        var actual = ReferenceSafetensors.Read(output);
        AssertTensorsEqual(actual, expected, expected.Keys);
        Assert.That(actual.Keys.Where(k => k.StartsWith("adapters.")), Is.EquivalentTo(expected.Keys));
        var meta = JsonNode.Parse(ReferenceSafetensors.Metadata(output)["clara.adapters"])!["peft-layer1-q"]!;
        Assert.That(meta["layers"]!.AsArray().Select(n => n!.GetValue<int>()), Is.EqualTo(new[] { 1 }));
        Assert.That(ConvertCli.Run("verify", output).ExitCode, Is.Zero);

        string dir = _scratch.File("dir");
        Assert.That(ConvertCli.Run(Fixtures.File("hf-single"), Fixtures.File("peft-layer1-q"), "--to-dir", dir, "--quiet").ExitCode, Is.Zero);
        var peftConfig = JsonNode.Parse(File.ReadAllText(Path.Combine(dir, "adapters", "peft-layer1-q", "adapter_config.json")))!;
        Assert.That(peftConfig["layers_to_transform"]!.AsArray().Select(n => n!.GetValue<int>()), Is.EqualTo(new[] { 1 }));
    }

    [TestCase("f32", "adapters_f32.safetensors")]
    [TestCase("bf16", "adapters_bf16.safetensors")]
    public void ClaraReleaseConvertsAdaptersResizedVocabularyAndTokenIds(string dtype, string expectedAdapters)
    {
        string output = _scratch.File("out.safetensors");
        var result = ConvertCli.Run(Fixtures.File("hf-single"), Fixtures.File("clara-release"), "--dtype", dtype, "--out", output, "--quiet");
        Assert.That(result.ExitCode, Is.Zero, result.ToString());
        var actual = ReferenceSafetensors.Read(output);

        var adapters = ReferenceSafetensors.Read(Fixtures.Expected(expectedAdapters));
        AssertTensorsEqual(actual, adapters, adapters.Keys);
        if (dtype == "f32")
        {
            var resized = ReferenceSafetensors.Read(Fixtures.Expected("resized_f32.safetensors"));
            AssertTensorsEqual(actual, resized, resized.Keys);
        }

        var facts = Fixtures.Facts;
        int resizedVocab = facts.GetProperty("resized_vocab").GetInt32();
        var metadata = ReferenceSafetensors.Metadata(output);
        Assert.That(JsonNode.Parse(metadata["clara.config"])!["vocab_size"]!.GetValue<int>(), Is.EqualTo(resizedVocab));
        Assert.That(actual["tok_embeddings"].Shape, Is.EqualTo(new long[] { resizedVocab, 24 }));

        var ids = facts.GetProperty("added_token_ids");
        var clara = JsonNode.Parse(metadata["clara.clara"])!;
        Assert.That(clara["mem_token_ids"]!.AsArray().Select(n => n!.GetValue<int>()), Is.EqualTo(Enumerable.Repeat(ids.GetProperty("<MEM>").GetInt32(), 64 / 16)));
        Assert.That(clara["ae_token_id"]!.GetValue<int>(), Is.EqualTo(ids.GetProperty("<AE>").GetInt32()));
        Assert.That(clara["enc_token_id"]!.GetValue<int>(), Is.EqualTo(ids.GetProperty("<ENC>").GetInt32()));
        Assert.That(clara["sep_token_id"]!.GetValue<int>(), Is.EqualTo(ids.GetProperty("<SEP>").GetInt32()));
        var special = JsonNode.Parse(metadata["clara.special_tokens"])!;
        Assert.That(special["sep"]!.GetValue<int>(), Is.EqualTo(ids.GetProperty("<SEP>").GetInt32()));

        var adapterMeta = JsonNode.Parse(metadata["clara.adapters"])!.AsObject();
        Assert.That(adapterMeta.Select(kv => kv.Key), Is.EquivalentTo(new[] { "encoder_adapter", "query_reasoner_adapter", "decoder_adapter" }));
        Assert.That(adapterMeta["decoder_adapter"]!["alpha"]!.GetValue<double>(), Is.EqualTo(2.0 * facts.GetProperty("lora_r").GetInt32()));
    }

    [Test]
    public void ChecksumsAreZlibCrc32OfTheStoredBytes()
    {
        string output = _scratch.File("out.safetensors");
        Assert.That(ConvertCli.Run(Fixtures.File("hf-single"), "--out", output, "--quiet").ExitCode, Is.Zero);
        var checksums = JsonNode.Parse(ReferenceSafetensors.Metadata(output)["clara.checksums"])!.AsObject();
        var expected = Fixtures.Facts.GetProperty("crc32_base_bf16").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetString());
        Assert.That(checksums.ToDictionary(kv => kv.Key, kv => kv.Value!.GetValue<string>()), Is.EquivalentTo(expected));
        var sources = JsonNode.Parse(ReferenceSafetensors.Metadata(output)["clara.sources"])!.AsArray();
        Assert.That(sources.Select(s => Path.GetFileName(s!["path"]!.GetValue<string>())), Is.EquivalentTo(new[] { "config.json", "model.safetensors" }));
        Assert.That(sources.Select(s => s!["sha256"]!.GetValue<string>()), Has.All.Match("^[0-9a-f]{64}$"));
    }

    [Test]
    public void MaliciousPicklesAreRefusedByGlobalNameAndLeaveNoOutput()
    {
        foreach (var entry in Fixtures.Facts.GetProperty("malicious_globals").EnumerateObject())
        {
            string output = _scratch.File("out.safetensors");
            var result = ConvertCli.Run(Fixtures.File(entry.Name), "--config", Fixtures.File("config.json"), "--out", output);
            Assert.That(result.ExitCode, Is.EqualTo(1), result.ToString());
            Assert.That(result.Stderr, Does.Contain($"'{entry.Value.GetString()}'"), entry.Name);
            Assert.That(_scratch.Entries(), Is.Empty, entry.Name);
        }
    }

    [TestCase("truncated.pth", "truncated")]
    [TestCase("lfs-pointer.safetensors", "Git LFS pointer")]
    [TestCase("not-a-checkpoint.bin", "neither a zip archive nor a legacy torch pickle")]
    [TestCase("tensor_out_of_bounds.pth", "'model.norm.weight'")]
    public void MalformedInputsAreRefusedClearlyAndLeaveNoOutput(string file, string message)
    {
        var result = ConvertCli.Run(Fixtures.File(file), "--config", Fixtures.File("config.json"), "--out", _scratch.File("out.safetensors"));
        Assert.That(result.ExitCode, Is.EqualTo(1), result.ToString());
        Assert.That(result.Stderr, Does.Contain(message).And.Contain(file));
        Assert.That(_scratch.Entries(), Is.Empty);
    }

    [Test]
    public void EveryMissingAndMisShapedTensorIsReportedByName()
    {
        // The config claims a third layer and a bigger vocabulary than the weights have.
        var config = JsonNode.Parse(File.ReadAllText(Fixtures.File("config.json")))!.AsObject();
        config["num_hidden_layers"] = 3;
        config["vocab_size"] = 51;
        string configPath = _scratch.File("config.json");
        File.WriteAllText(configPath, config.ToJsonString());

        var result = ConvertCli.Run(Fixtures.File("model.pth"), "--config", configPath, "--out", _scratch.File("out.safetensors"));
        Assert.That(result.ExitCode, Is.EqualTo(1));
        foreach (var name in new[] { "attn_norm", "wq", "wk", "wv", "wo", "mlp_norm", "w_gate", "w_up", "w_down" })
            Assert.That(result.Stderr, Does.Contain($"missing: 'layers.2.{name}'"));
        Assert.That(result.Stderr, Does.Contain("mis-shaped: 'tok_embeddings'").And.Contain("mis-shaped: 'lm_head'"));
        Assert.That(result.Stderr, Does.Contain("11 problems"));
        Assert.That(_scratch.Entries(), Is.EquivalentTo(new[] { "config.json" }));
    }

    [Test]
    public void DuplicatedAndUnmappedTensorsAreReportedByName()
    {
        var result = ConvertCli.Run(Fixtures.File("hf-single"), Fixtures.File("model.pth"), Fixtures.File("views.pth"), "--out", _scratch.File("out.safetensors"));
        Assert.That(result.ExitCode, Is.EqualTo(1));
        Assert.That(result.Stderr, Does.Contain("duplicated: 'layers.1.w_down'").And.Contain("duplicated: 'tok_embeddings'"));
        foreach (var view in new[] { "whole", "rows", "transposed", "column", "strided" })
            Assert.That(result.Stderr, Does.Contain($"unmapped: '{view}'"));
        Assert.That(result.Stderr, Does.Contain($"{21 + 5} problems"));
    }

    [Test]
    public void PickledAdaptersWithoutAnyConfigNeedLoraAlpha()
    {
        string adapters = Fixtures.File("clara-release", "adapters.pth");
        var refused = ConvertCli.Run(Fixtures.File("hf-single"), adapters, "--out", _scratch.File("out.safetensors"));
        Assert.That(refused.ExitCode, Is.EqualTo(1));
        Assert.That(refused.Stderr, Does.Contain("lora_alpha is unknown").And.Contain("--lora-alpha"));

        var accepted = ConvertCli.Run(Fixtures.File("hf-single"), adapters, "--lora-alpha", "8", "--out", _scratch.File("out.safetensors"), "--quiet");
        Assert.That(accepted.ExitCode, Is.Zero, accepted.ToString());
    }

    [Test]
    public void DryRunPrintsTheMappingAndWritesNothing()
    {
        var result = ConvertCli.Run(Fixtures.File("hf-single"), Fixtures.File("clara-release"), "--out", _scratch.File("out.safetensors"), "--dry-run");
        Assert.That(result.ExitCode, Is.Zero, result.ToString());
        Assert.That(result.Stdout, Does.Match(@"model\.layers\.0\.self_attn\.q_proj\.weight\s+-> layers\.0\.wq"));
        Assert.That(result.Stdout, Does.Match(@"model\.layers\.1\.mlp\.down_proj\.lora_B\.weight\s+-> adapters\.decoder_adapter\.layers\.1\.w_down\.lora_b"));
        Assert.That(result.Stdout, Does.Contain("tensor data").And.Contain("CLaRa release directory").And.Contain("Hugging Face model directory"));
        Assert.That(_scratch.Entries(), Is.Empty);

        var toDir = ConvertCli.Run(Fixtures.File("hf-single"), "--to-dir", _scratch.File("clara-dir"), "--dry-run");
        Assert.That(toDir.ExitCode, Is.Zero, toDir.ToString());
        Assert.That(_scratch.Entries(), Is.Empty);
    }

    [Test]
    public void BadCommandLinesAreUsageErrors()
    {
        Assert.That(ConvertCli.Run(Fixtures.File("hf-single")).ExitCode, Is.EqualTo(2), "no --out");
        Assert.That(ConvertCli.Run(Fixtures.File("hf-single"), "--out", "x", "--dtype", "int8").ExitCode, Is.EqualTo(2));
        Assert.That(ConvertCli.Run("--out", "x").ExitCode, Is.EqualTo(2), "no inputs");
        Assert.That(ConvertCli.Run(Fixtures.File("hf-single"), "--out", "x", "--frobnicate").Stderr, Does.Contain("--frobnicate"));
    }
}
