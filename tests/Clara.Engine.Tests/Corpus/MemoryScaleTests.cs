using Clara.Corpus.Model;
using Clara.Engine.IO.Safetensors;
using Clara.Engine.Models;
using Clara.Engine.Pipeline;
using NUnit.Framework;

namespace Clara.Engine.Tests.Corpus;

/// <summary>clara-corpus scale-memory: the language model is unchanged, the memory vectors are multiplied by the factor.</summary>
public class MemoryScaleTests
{
    private static readonly InitialModelShape Shape = new()
    {
        Hidden = 32, Layers = 2, Heads = 4, KvHeads = 2, Intermediate = 48, DocMaxLength = 16, CompressionRate = 2, LoraRank = 4, TopK = 2, Seed = 9,
    };

    private string _dir = null!;

    [SetUp]
    public void Write()
    {
        _dir = Path.Combine(Path.GetTempPath(), "clara-scale-" + Guid.NewGuid().ToString("N"));
        InitialModelWriter.Write(DefaultTokenizerOracleTests.Directory, Path.Combine(_dir, "base"), Shape);
    }

    [TearDown]
    public void Remove() => Directory.Delete(_dir, recursive: true);

    [Test]
    public void LogitsStayAndMemoriesScale()
    {
        const float factor = 0.25f;
        Assert.That(MemoryScale.Write(Path.Combine(_dir, "base"), Path.Combine(_dir, "scaled"), factor), Is.EqualTo(factor));
        using var before = ClaraModel.Load(Path.Combine(_dir, "base"));
        using var after = ClaraModel.Load(Path.Combine(_dir, "scaled"));
        var text = before.Encode("Tupo Menbron was born in Savale in 1836.");

        var logitsBefore = before.Decoder.ComputeLogits(text);
        var logitsAfter = after.Decoder.ComputeLogits(text);
        Assert.That(logitsAfter, Is.EqualTo(logitsBefore).Within(1e-4f * logitsBefore.Max(MathF.Abs)));

        var memoryBefore = before.Compress([text]).Memory;
        var memoryAfter = after.Compress([text]).Memory;
        Assert.That(memoryAfter, Is.EqualTo(memoryBefore.Select(v => v * factor)).Within(1e-5f * memoryBefore.Max(MathF.Abs)));
        Assert.That(after.EncodeQuery(text), Is.EqualTo(before.EncodeQuery(text).Select(v => v * factor)).Within(1e-5f * memoryBefore.Max(MathF.Abs)));
    }

    [Test]
    public void TheMatchingFactorBringsTheMemoryNormToTheEmbeddingNorm()
    {
        float factor = MemoryScale.Write(Path.Combine(_dir, "base"), Path.Combine(_dir, "scaled"), factor: null);
        using var weights = SafetensorsFile.Open(Path.Combine(_dir, "scaled", "model.safetensors"));
        var embedding = weights.ReadAsFloat32(WeightNames.HfEmbedding);
        double meanRowNorm = embedding.Chunk(Shape.Hidden).Average(row => Math.Sqrt(row.Sum(v => (double)v * v)));
        double memoryNorm = Math.Sqrt(weights.ReadAsFloat32(WeightNames.HfNorm).Sum(v => (double)v * v));
        Assert.That(memoryNorm, Is.EqualTo(meanRowNorm).Within(1e-5).Percent);
        // An untrained base: final norm weights are ones (memory norm √hidden), embeddings have std 0.02.
        Assert.That(factor, Is.EqualTo(0.02).Within(15).Percent);
    }

    [Test]
    public void TheSameDirectoryIsRefusedAndNothingIsTouched()
    {
        string model = Path.Combine(_dir, "base");
        var bytes = File.ReadAllBytes(Path.Combine(model, "model.safetensors"));
        Assert.That(() => MemoryScale.Write(model, model + "/", 0.5f), Throws.InstanceOf<InvalidInputException>().With.Message.Contains("--out"));
        Assert.That(File.ReadAllBytes(Path.Combine(model, "model.safetensors")), Is.EqualTo(bytes));
    }
}
