using Clara.Engine.IO.Safetensors;
using Clara.Engine.Tests.IO;
using Clara.Engine.Tests.Support;
using Clara.Engine.Training;
using NUnit.Framework;

namespace Clara.Engine.Tests.Training;

/// <summary>clara average (weight averaging of adapters) on copies of the tiny text CLaRa fixture.</summary>
public class AdapterAveragingTests
{
    private static readonly string[] Adapters = ["decoder_adapter", "encoder_adapter", "query_reasoner_adapter"];

    private static string Fixture => Fixtures.Clara("clara-text");

    private static (int Code, string Out, string Err) Clara(params string[] args) => ClaraCli.Run(args);

    private static string CopyOfFixture(TempDirectory dir, string name) => DirectoryCopy.Copy(Fixture, dir.File(name));

    private static string AdapterFile(string model, string adapter) => Path.Combine(model, "adapters", adapter, "adapter_model.safetensors");

    private static Dictionary<string, float[]> ReadAdapter(string model, string adapter)
    {
        using var file = SafetensorsFile.Open(AdapterFile(model, adapter));
        return file.Tensors.ToDictionary(t => t.Name, t => file.ReadAsFloat32(t.Name));
    }

    /// <summary>Rewrites an adapter file, each factor (its entry and its values) through <paramref name="rewrite"/>.</summary>
    private static void RewriteFactors(string path, Func<SafetensorsEntry, float[], TensorToWrite> rewrite)
    {
        List<TensorToWrite> tensors;
        using (var file = SafetensorsFile.Open(path))
            tensors = file.Tensors.Select(t => rewrite(t, file.ReadAsFloat32(t.Name))).ToList();
        SafetensorsWriter.Write(path, tensors);
    }

    /// <summary>Replaces every factor of the model's adapters with seeded random values of the same shapes.</summary>
    private static void Randomise(string model, int seed)
    {
        var random = new Random(seed);
        foreach (var adapter in Adapters)
            RewriteFactors(AdapterFile(model, adapter), (t, values) => TensorToWrite.FromFloat32(t.Name, t.Shape,
                values.Select(_ => (float)(random.NextDouble() * 2 - 1)).ToArray()));
    }

    [Test]
    public void EveryFactorBecomesTheMeanOfTheModelsFactorsAndTheRestIsTheFirstModels()
    {
        using var dir = new TempDirectory();
        string first = CopyOfFixture(dir, "first"), second = CopyOfFixture(dir, "second"), third = CopyOfFixture(dir, "third");
        Randomise(second, seed: 1);
        Randomise(third, seed: 2);
        File.WriteAllText(Path.Combine(second, "metrics.jsonl"), "{}\n");   // a training run's record is not the model

        var (code, stdout, err) = Clara("average", first, second, third, "--out", dir.File("mean"));

        Assert.That(code, Is.EqualTo(0), err);
        Assert.That(stdout, Does.Contain("over 3 models"));
        foreach (var adapter in Adapters)
        {
            var (a, b, c, mean) = (ReadAdapter(first, adapter), ReadAdapter(second, adapter), ReadAdapter(third, adapter), ReadAdapter(dir.File("mean"), adapter));
            Assert.That(mean.Keys, Is.EquivalentTo(a.Keys), adapter);
            foreach (var (name, values) in mean)
                for (int i = 0; i < values.Length; i++)
                {
                    double expected = ((double)a[name][i] + b[name][i] + c[name][i]) / 3;
                    Assert.That(values[i], Is.EqualTo(expected).Within(Math.Abs(expected) * 1e-7 + 1e-12), $"{adapter} {name}[{i}]");
                }
            Assert.That(File.ReadAllBytes(Path.Combine(dir.File("mean"), "adapters", adapter, "adapter_config.json")),
                Is.EqualTo(File.ReadAllBytes(Path.Combine(first, "adapters", adapter, "adapter_config.json"))));
        }
        foreach (var shared in new[] { "model.safetensors", "clara.json", "config.json", "tokenizer.model" })
            Assert.That(File.ReadAllBytes(Path.Combine(dir.File("mean"), shared)), Is.EqualTo(File.ReadAllBytes(Path.Combine(first, shared))), shared);
        Assert.That(File.Exists(Path.Combine(dir.File("mean"), "metrics.jsonl")), Is.False);
        Assert.That(Directory.GetDirectories(dir.Path).Where(d => d.Contains(".partial-")), Is.Empty, "no staging directory is left behind");
    }

    [Test]
    public void TheMeanOfOneModelWithItselfIsThatModelBitForBitAndItRuns()
    {
        using var dir = new TempDirectory();
        var (code, _, err) = Clara("average", Fixture, Fixture, "--out", dir.File("same"));
        Assert.That(code, Is.EqualTo(0), err);
        foreach (var adapter in Adapters)
        {
            var (before, after) = (ReadAdapter(Fixture, adapter), ReadAdapter(dir.File("same"), adapter));
            foreach (var (name, values) in before)
                Assert.That(after[name], Is.EqualTo(values), $"{adapter} {name}");
        }
        var (infoCode, info, infoErr) = Clara("info", dir.File("same"));
        Assert.That(infoCode, Is.EqualTo(0), infoErr);
        Assert.That(info, Does.Contain("adapter      decoder_adapter"));
    }

    [Test]
    public void ModelsWithOtherBaseWeightsAreRefusedByFileAndNothingIsWritten()
    {
        using var dir = new TempDirectory();
        string other = CopyOfFixture(dir, "other");
        var bytes = File.ReadAllBytes(Path.Combine(other, "model.safetensors"));
        bytes[^1] ^= 0x01;
        File.WriteAllBytes(Path.Combine(other, "model.safetensors"), bytes);

        var (code, _, err) = Clara("average", Fixture, other, "--out", dir.File("mean"));

        Assert.That(code, Is.EqualTo(1));
        Assert.That(err, Does.Contain("model.safetensors differs between"));
        Assert.That(Directory.Exists(dir.File("mean")), Is.False);
    }

    [Test]
    public void ModelsWithOtherAdaptersOrLoraSettingsAreRefused()
    {
        using var dir = new TempDirectory();
        string fewer = CopyOfFixture(dir, "fewer");
        Directory.Delete(Path.Combine(fewer, "adapters", "encoder_adapter"), recursive: true);
        var (code, _, err) = Clara("average", Fixture, fewer, "--out", dir.File("a"));
        Assert.That(code, Is.EqualTo(1));
        Assert.That(err, Does.Contain("has the adapters decoder_adapter, encoder_adapter, query_reasoner_adapter").And.Contain("has decoder_adapter, query_reasoner_adapter"));

        string settings = CopyOfFixture(dir, "settings");
        string config = Path.Combine(settings, "adapters", "decoder_adapter", "adapter_config.json");
        File.WriteAllText(config, File.ReadAllText(config).Replace("\"lora_alpha\": 8", "\"lora_alpha\": 16"));
        (code, _, err) = Clara("average", Fixture, settings, "--out", dir.File("b"));
        Assert.That(code, Is.EqualTo(1));
        Assert.That(err, Does.Contain("adapter_config.json differs between").And.Contain("other LoRA settings"));
        Assert.That(Directory.Exists(dir.File("a")) || Directory.Exists(dir.File("b")), Is.False);
    }

    [Test]
    public void AFactorOfAnotherShapeIsRefusedByName()
    {
        using var dir = new TempDirectory();
        string other = CopyOfFixture(dir, "other");
        string path = AdapterFile(other, "decoder_adapter");
        string reshaped;
        using (var file = SafetensorsFile.Open(path))
            reshaped = file.Tensors[0].Name;
        RewriteFactors(path, (t, values) =>
            TensorToWrite.FromFloat32(t.Name, t.Name == reshaped ? new Tensors.Shape([1, (int)t.ElementCount]) : t.Shape, values));

        var (code, _, err) = Clara("average", Fixture, other, "--out", dir.File("mean"));

        Assert.That(code, Is.EqualTo(1));
        Assert.That(err, Does.Contain($"tensor {reshaped} is [1, "));
        Assert.That(Directory.Exists(dir.File("mean")), Is.False);
    }

    [Test]
    public void OneModelANonEmptyOutputOrAnOutputInsideAModelIsRefused()
    {
        using var dir = new TempDirectory();
        var (code, _, _) = Clara("average", Fixture, "--out", dir.File("one"));
        Assert.That(code, Is.EqualTo(2), "one model is a usage mistake");

        Directory.CreateDirectory(dir.File("taken"));
        File.WriteAllText(Path.Combine(dir.File("taken"), "keep.txt"), "x");
        (code, _, var err) = Clara("average", Fixture, Fixture, "--out", dir.File("taken"));
        Assert.That(code, Is.EqualTo(1));
        Assert.That(err, Does.Contain("is not empty"));
        Assert.That(File.ReadAllText(Path.Combine(dir.File("taken"), "keep.txt")), Is.EqualTo("x"));

        string model = CopyOfFixture(dir, "model");
        (code, _, err) = Clara("average", model, Fixture, "--out", Path.Combine(model, "inside"));
        Assert.That(code, Is.EqualTo(1));
        Assert.That(err, Does.Contain("must not be a model directory or inside one"));
    }

    private sealed class Recorder : IProgress<int>
    {
        public List<int> Reports { get; } = [];
        public void Report(int value) => Reports.Add(value);
    }

    [Test]
    public void TheComparisonReportsItsProgressInMebibytesUpToItsTotal()
    {
        using var dir = new TempDirectory();
        var payload = new byte[3 << 20];
        new Random(3).NextBytes(payload);
        var models = new[] { CopyOfFixture(dir, "first"), CopyOfFixture(dir, "second"), CopyOfFixture(dir, "third") };
        foreach (var model in models) File.WriteAllBytes(Path.Combine(model, "extra.bin"), payload);

        var recorder = new Recorder();
        int total = AdapterAveraging.ComparisonMebibytes(models);
        AdapterAveraging.Average(models, dir.File("mean"), recorder);

        Assert.That(total, Is.GreaterThanOrEqualTo(2 * 2 * 3), "three MiB compared twice (two sides) for each of two other models");
        Assert.That(recorder.Reports, Is.Ordered.Ascending.And.Not.Empty);
        Assert.That(recorder.Reports[^1], Is.EqualTo(total));
    }
}
