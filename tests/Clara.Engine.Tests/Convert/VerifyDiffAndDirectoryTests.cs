using System.Text.Json.Nodes;
using Clara.Convert.Commands;
using Clara.Convert.Output;
using Clara.Engine.IO.Safetensors;
using NUnit.Framework;

namespace Clara.Engine.Tests.Convert;

public class VerifyDiffAndDirectoryTests
{
    private ScratchDirectory _scratch = null!;

    [SetUp]
    public void SetUp() => _scratch = new ScratchDirectory();

    [TearDown]
    public void TearDown() => _scratch.Dispose();

    private string ConvertRelease(string dtype = "bf16")
    {
        string output = _scratch.File($"release-{dtype}.safetensors");
        var result = ConvertCli.Run(Fixtures.File("hf-single"), Fixtures.File("clara-release"), "--dtype", dtype, "--out", output, "--quiet");
        Assert.That(result.ExitCode, Is.Zero, result.ToString());
        return output;
    }

    [Test]
    public void VerifyAcceptsAFreshConversion()
    {
        var result = ConvertCli.Run("verify", ConvertRelease());
        Assert.That(result.ExitCode, Is.Zero, result.ToString());
        Assert.That(result.Stdout, Does.StartWith("OK ").And.Contain($"{21 + 3 * 28} tensors"));
    }

    [Test]
    public void VerifyDetectsAFlippedByteAndNamesTheTensor()
    {
        string path = ConvertRelease();
        long offset;
        using (var file = SafetensorsFile.Open(path)) offset = file["adapters.query_reasoner_adapter.layers.1.w_up.lora_b"].DataOffset + 5;
        using (var stream = new FileStream(path, FileMode.Open, FileAccess.ReadWrite))
        {
            stream.Position = offset;
            int b = stream.ReadByte();
            stream.Position = offset;
            stream.WriteByte((byte)(b ^ 0x01));
        }

        var result = ConvertCli.Run("verify", path);
        Assert.That(result.ExitCode, Is.EqualTo(1));
        Assert.That(result.Stdout, Does.Contain("checksum mismatch: 'adapters.query_reasoner_adapter.layers.1.w_up.lora_b'"));
        Assert.That(result.Stdout.Split('\n').Count(l => l.StartsWith("FAIL")), Is.EqualTo(1), "only the damaged tensor fails");
    }

    [Test]
    public void VerifyRefusesAPlainSafetensorsFile()
    {
        var result = ConvertCli.Run("verify", Fixtures.Expected("base_f32.safetensors"));
        Assert.That(result.ExitCode, Is.EqualTo(1));
        Assert.That(result.Stdout, Does.Contain("not an engine-native file"));
    }

    [Test]
    public void DiffReportsPyTorchsMaxErrorsOfBf16Rounding()
    {
        var rows = TensorDiff.Compare(Fixtures.Expected("base_f32.safetensors"), Fixtures.Expected("base_bf16.safetensors"));
        var expected = Fixtures.Facts.GetProperty("diff_f32_vs_bf16").EnumerateObject().ToDictionary(p => p.Name, p => p.Value);
        Assert.That(rows.Select(r => r.Name), Is.EquivalentTo(expected.Keys));
        foreach (var row in rows)
        {
            Assert.That(row.Problem, Is.Null, row.Name);
            double maxAbs = expected[row.Name][0].GetDouble(), maxRel = expected[row.Name][1].GetDouble();
            Assert.That(row.MaxAbs, Is.EqualTo(maxAbs).Within(1e-12 * Math.Max(maxAbs, 1e-30)), row.Name);
            Assert.That(row.MaxRel, Is.EqualTo(maxRel).Within(1e-12 * Math.Max(maxRel, 1e-30)), row.Name);
        }
        Assert.That(rows.Single(r => r.Name == "layers.0.attn_norm").MaxAbs, Is.Zero, "norms are stored f32 in both");
        Assert.That(rows.Single(r => r.Name == "layers.0.wq").MaxAbs, Is.GreaterThan(0));
    }

    [Test]
    public void DiffCommandPrintsATableAndHonoursTolerance()
    {
        string a = Fixtures.Expected("base_f32.safetensors"), b = Fixtures.Expected("base_bf16.safetensors");
        var result = ConvertCli.Run("diff", a, b);
        Assert.That(result.ExitCode, Is.Zero, result.ToString());
        Assert.That(result.Stdout, Does.Match(@"layers\.0\.wq\s+F32/BF16\s+\[24, 24\]\s+\d\.\d{3}e[-+]\d\d"));
        Assert.That(ConvertCli.Run("diff", a, b, "--tolerance", "1e-9").ExitCode, Is.EqualTo(1));
        Assert.That(ConvertCli.Run("diff", a, Fixtures.Expected("adapters_f32.safetensors")).Stdout, Does.Contain("only in A").And.Contain("only in B"));
    }

    [Test]
    public void ClaraDirectoryHoldsHfAndPeftFilesAndConvertsBackToTheSameTensors()
    {
        string dir = _scratch.File("clara-dir");
        var result = ConvertCli.Run(Fixtures.File("hf-single"), Fixtures.File("clara-release"), "--to-dir", dir, "--dtype", "f32", "--quiet");
        Assert.That(result.ExitCode, Is.Zero, result.ToString());

        // HF names, resized vocabulary from decoder_first_last_layers.pth.
        var model = ReferenceSafetensors.Read(Path.Combine(dir, "model.safetensors"));
        var resized = ReferenceSafetensors.Read(Fixtures.Expected("resized_f32.safetensors"));
        var hf = ReferenceSafetensors.Read(Fixtures.File("hf-single", "model.safetensors"));
        Assert.That(model.Keys, Is.EquivalentTo(hf.Keys));
        Assert.That(model["model.embed_tokens.weight"].Bytes, Is.EqualTo(resized["tok_embeddings"].Bytes));
        Assert.That(model["lm_head.weight"].Bytes, Is.EqualTo(resized["lm_head"].Bytes));
        Assert.That(model["model.layers.1.mlp.up_proj.weight"].Bytes, Is.EqualTo(hf["model.layers.1.mlp.up_proj.weight"].Bytes));
        int vocab = Fixtures.Facts.GetProperty("resized_vocab").GetInt32();
        Assert.That(JsonNode.Parse(File.ReadAllText(Path.Combine(dir, "config.json")))!["vocab_size"]!.GetValue<int>(), Is.EqualTo(vocab));
        Assert.That(File.Exists(Path.Combine(dir, "clara.json")));

        // PEFT names and config, one folder per adapter.
        var expectedAdapters = ReferenceSafetensors.Read(Fixtures.Expected("adapters_f32.safetensors"));
        foreach (var name in new[] { "encoder_adapter", "query_reasoner_adapter", "decoder_adapter" })
        {
            var peft = ReferenceSafetensors.Read(Path.Combine(dir, "adapters", name, "adapter_model.safetensors"));
            Assert.That(peft, Has.Count.EqualTo(28));
            Assert.That(peft["base_model.model.model.layers.0.self_attn.k_proj.lora_A.weight"].Bytes,
                Is.EqualTo(expectedAdapters[$"adapters.{name}.layers.0.wk.lora_a"].Bytes));
            var config = JsonNode.Parse(File.ReadAllText(Path.Combine(dir, "adapters", name, "adapter_config.json")))!;
            Assert.That(config["r"]!.GetValue<int>(), Is.EqualTo(4));
            Assert.That(config["lora_alpha"]!.GetValue<double>(), Is.EqualTo(8));
        }

        // The directory is itself an input: converting it gives the same tensors as converting the originals.
        var fromDirectory = ConvertCli.Run(dir, "--dtype", "f32", "--out", _scratch.File("from-dir.safetensors"), "--quiet");
        Assert.That(fromDirectory.ExitCode, Is.Zero, fromDirectory.ToString());
        var direct = ReferenceSafetensors.Read(ConvertRelease("f32"));
        var roundTrip = ReferenceSafetensors.Read(_scratch.File("from-dir.safetensors"));
        Assert.That(roundTrip.Keys, Is.EquivalentTo(direct.Keys));
        foreach (var name in direct.Keys) Assert.That(roundTrip[name].Bytes, Is.EqualTo(direct[name].Bytes), name);
        Assert.That(ReferenceSafetensors.Metadata(_scratch.File("from-dir.safetensors"))["clara.clara"],
            Is.EqualTo(ReferenceSafetensors.Metadata(_scratch.File("release-f32.safetensors"))["clara.clara"]));
    }

    [Test]
    public void ClaraDirectoryIsNotWrittenOverAnExistingOne()
    {
        string dir = _scratch.File("taken");
        Directory.CreateDirectory(dir);
        File.WriteAllText(Path.Combine(dir, "keep.txt"), "mine");
        var result = ConvertCli.Run(Fixtures.File("hf-single"), "--to-dir", dir);
        Assert.That(result.ExitCode, Is.EqualTo(1));
        Assert.That(result.Stderr, Does.Contain("not empty"));
        Assert.That(_scratch.Entries(), Is.EquivalentTo(new[] { "taken", Path.Combine("taken", "keep.txt") }));
    }

    [Test]
    public void ProgressOnAPipePrintsALineEveryTenPercent()
    {
        var log = new StringWriter();
        var progress = new ProgressReporter(log, isTerminal: false, "write", totalBytes: 1000);
        for (int i = 0; i < 100; i++) progress.Advance(10);
        progress.Finish();
        var lines = log.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.That(lines, Has.Length.EqualTo(10));
        Assert.That(lines[^1], Does.Contain("100.0%"));
        Assert.That(log.ToString(), Does.Not.Contain("\r"));
    }

    [Test]
    public void ProgressOnATerminalRedrawsOneLine()
    {
        var screen = new StringWriter();
        var progress = new ProgressReporter(screen, isTerminal: true, "write", totalBytes: 1000);
        for (int i = 0; i < 100; i++) progress.Advance(10);
        progress.Finish();
        string text = screen.ToString();
        Assert.That(text, Does.StartWith("\rwrite ["), "the first advance draws at once");
        Assert.That(text.TrimEnd().Split('\n'), Has.Length.EqualTo(1), "redraws stay on one line until the end");
        Assert.That(text.Split('\r')[^1], Does.Contain("100.0%").And.EndWith(Environment.NewLine), "finished line, then a newline");
    }

    [Test]
    public void SyntheticBenchReportsThroughputAndMemory()
    {
        // Small sizes keep the suite fast; run `clara convert --bench-synthetic` for the 4 x 256 MiB figures.
        var result = SyntheticBench.Measure(tensorCount: 2, tensorMb: 16, _scratch.Path, progressWriter: null);
        TestContext.Out.WriteLine($"2 x 16 MiB f32 -> bf16: {result.MegabytesPerSecond:0} MiB/s, peak RssAnon {result.PeakRssAnonBytes >> 20} MiB, " +
                                  $"peak VmRSS {result.PeakRssBytes >> 20} MiB, peak managed {result.PeakManagedBytes >> 20} MiB");
        Assert.That(result.OutputBytes, Is.GreaterThan(result.InputBytes / 2), "bf16 output holds half the f32 bytes plus a header");
        Assert.That(_scratch.Entries(), Is.Empty, "bench files are removed");
    }
}
