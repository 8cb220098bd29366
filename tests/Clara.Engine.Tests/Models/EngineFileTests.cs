using Clara.Engine.Models;
using Clara.Engine.Pipeline;
using Clara.Engine.Tests.Support;
using NUnit.Framework;

namespace Clara.Engine.Tests.Models;

/// <summary>Converting with `clara convert` and loading the engine-native file gives what loading the HF directory gives.</summary>
public class EngineFileTests
{
    private string _dir = null!;

    [SetUp]
    public void CreateDirectory() => System.IO.Directory.CreateDirectory(_dir = Path.Combine(Path.GetTempPath(), "clara-engine-file-" + Guid.NewGuid().ToString("N")));

    [TearDown]
    public void Remove() => System.IO.Directory.Delete(_dir, recursive: true);

    private string Convert(string dtype, params string[] inputs)
    {
        var output = Path.Combine(_dir, $"model-{dtype}.safetensors");
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        int code = Clara.Cli.ClaraCommandLine.Run(["convert", .. inputs, "--out", output, "--dtype", dtype, "--quiet"], stdout, stderr);
        Assert.That(code, Is.EqualTo(0), stderr.ToString());
        return output;
    }

    [TestCase("mistral-gqa2-odd")]
    [TestCase("llama-gqa1")]
    public void F32FileGivesTheSameLogitsWithEveryAdapter(string config)
    {
        // The converter picks up the directory's adapters/<name>/ folders itself.
        var directory = Fixtures.Model(config);
        using var reference = DecoderModel.Load(directory);
        using var converted = DecoderModel.Load(Convert("f32", directory));
        Assert.That(converted.AdapterNames, Is.EquivalentTo(reference.AdapterNames));
        int[] tokens = [1, 5, 9, 17, 33, 64, 2];
        foreach (var adapter in reference.AdapterNames.Append(null))
            Assert.That(converted.ComputeLogits(tokens, adapter), Is.EqualTo(reference.ComputeLogits(tokens, adapter)), $"adapter {adapter ?? "(none)"}");
    }

    [Test]
    public void Bf16FileStaysWithinBf16Rounding()
    {
        var directory = Fixtures.Model("mistral-gqa2-odd");
        using var reference = DecoderModel.Load(directory);
        using var converted = DecoderModel.Load(Convert("bf16", directory));
        int[] tokens = [1, 5, 9, 17, 33, 64, 2];
        // bf16 keeps 8 mantissa bits (relative rounding 2^-9 per weight); through three layers we measure 2.5e-3 of the logits' scale.
        double err = Compare.MaxRelativeError(converted.ComputeLogits(tokens), reference.ComputeLogits(tokens));
        TestContext.Out.WriteLine($"bf16 engine file vs f32 HF directory: max rel error {err:E2}");
        Assert.That(err, Is.GreaterThan(0).And.LessThan(1e-2));
    }

    [Test]
    public void ConvertedClaraDirectoryAnswersLikeTheOriginal()
    {
        var source = Fixtures.Clara("clara-distinct");
        var output = Path.Combine(_dir, "clara");
        var stderr = new StringWriter();
        Assert.That(Clara.Cli.ClaraCommandLine.Run(["convert", source, "--to-dir", output, "--dtype", "f32", "--quiet"], new StringWriter(), stderr), Is.EqualTo(0), stderr.ToString());
        using var original = ClaraModel.Load(source);
        using var copy = ClaraModel.Load(output);
        IReadOnlyList<int>[] docs = [[5, 6, 7], [8, 9, 10, 11], [12, 13]];
        int[] question = [20, 21, 22];
        var options = new GenerationOptions { MaxNewTokens = 6 };
        var a = original.Ask(question, original.Compress(docs), options, k: 2);
        var b = copy.Ask(question, copy.Compress(docs), options, k: 2);
        Assert.That(b.Scores, Is.EqualTo(a.Scores));
        Assert.That(b.AnswerIds, Is.EqualTo(a.AnswerIds));
    }

    [Test]
    public void PlainSafetensorsFileWithoutEngineMetadataIsRefused()
    {
        Assert.That(() => DecoderModel.Load(Path.Combine(Fixtures.Model("llama-gqa1"), "model.safetensors")),
            Throws.TypeOf<InvalidDataException>().With.Message.Contains("without engine-format metadata"));
    }
}
