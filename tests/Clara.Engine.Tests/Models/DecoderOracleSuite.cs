using Clara.Engine.Backends;
using Clara.Engine.IO.Safetensors;
using Clara.Engine.Models;
using Clara.Engine.Tests.Support;
using NUnit.Framework;

namespace Clara.Engine.Tests.Models;

/// <summary>
/// The decoder against the PyTorch oracle (tests/oracle/make_fixtures.py) on every fixture config: logits,
/// every intermediate activation, LoRA adapters, a left-padded batch and KV-cached decoding. Instantiated per
/// backend.
/// </summary>
public abstract class DecoderOracleSuite : BackendSuite
{
    // fp32 compute on fp32 or bf16-stored weights: the oracle upcasts bf16 weights exactly, so both configs
    // share one tolerance; what remains is summation order (measured ~1e-6).
    protected const double Tolerance = 1e-5;

    public static readonly string[] Configs = ["llama-gqa1", "mistral-gqa2-odd", "mistral-gqa4-bf16"];


    private DecoderModel Load(string config) => DecoderModel.Load(Fixtures.Model(config), Backend);

    [TestCaseSource(nameof(Configs))]
    public void LogitsMatchOracle(string config)
    {
        using var model = Load(config);
        using var reference = SafetensorsFile.Open(Fixtures.Reference(config));
        var tokens = reference.ReadAsInt32("tokens");
        Compare.AssertClose(model.ComputeLogits(tokens), reference.ReadAsFloat32("logits"), Tolerance, $"{config} logits");
    }

    [TestCaseSource(nameof(Configs))]
    public void EveryIntermediateMatchesOracle(string config)
    {
        using var model = Load(config);
        using var reference = SafetensorsFile.Open(Fixtures.Reference(config));
        var tokens = reference.ReadAsInt32("tokens");
        using var cache = model.CreateCache(1, tokens.Length);
        var outputs = model.Forward(cache, new ForwardInputs(1, tokens.Length, tokens, Ones(tokens.Length), Range(tokens.Length)) { Trace = true });
        var names = new List<string> { "hidden.embed", "hidden.final_norm" };
        for (int i = 0; i < model.Config.Layers; i++)
            names.AddRange([$"layer{i}.attn_norm", $"layer{i}.q_rope", $"layer{i}.k_rope", $"layer{i}.attn", $"layer{i}.mlp", $"hidden.layer{i}"]);
        foreach (var name in names)
        {
            Assert.That(outputs.Trace.ContainsKey(name), $"the engine's trace lacks {name}");
            Compare.AssertClose(outputs.Trace[name], reference.ReadAsFloat32(name), Tolerance, $"{config} {name}");
        }
    }

    [TestCaseSource(nameof(Configs))]
    public void AdaptersMatchOracle(string config)
    {
        using var model = Load(config);
        using var reference = SafetensorsFile.Open(Fixtures.Reference(config));
        var tokens = reference.ReadAsInt32("tokens");
        var adapterTensors = reference.Tensors.Where(t => t.Name.StartsWith("logits.", StringComparison.Ordinal)).ToList();
        Assert.That(adapterTensors, Is.Not.Empty, "the fixture has no adapter logits");
        foreach (var entry in adapterTensors)
        {
            string adapter = entry.Name["logits.".Length..];
            Compare.AssertClose(model.ComputeLogits(tokens, adapter), reference.ReadAsFloat32(entry.Name), Tolerance, $"{config} adapter {adapter}");
        }
    }

    [TestCaseSource(nameof(Configs))]
    public void LeftPaddedBatchMatchesOracle(string config)
    {
        using var model = Load(config);
        using var reference = SafetensorsFile.Open(Fixtures.Reference(config));
        var entry = reference["batch.tokens"];
        int batch = entry.Shape[0], length = entry.Shape[1];
        var mask = reference.ReadAsInt32("batch.mask");
        using var cache = model.CreateCache(batch, length);
        var outputs = model.Forward(cache, new ForwardInputs(batch, length, reference.ReadAsInt32("batch.tokens"), mask, reference.ReadAsInt32("batch.positions")));
        int vocab = model.Config.VocabSize;
        Compare.AssertClose(outputs.Logits!, reference.ReadAsFloat32("batch.logits"), Tolerance, $"{config} padded batch",
            include: i => mask[i / vocab] != 0);
    }

    [TestCaseSource(nameof(Configs))]
    public void KvCachedDecodingMatchesFullForward(string config)
    {
        using var model = Load(config);
        using var reference = SafetensorsFile.Open(Fixtures.Reference(config));
        var tokens = reference.ReadAsInt32("tokens");
        var expected = reference.ReadAsFloat32("logits");
        int vocab = model.Config.VocabSize, prefill = 4;
        using var cache = model.CreateCache(1, tokens.Length);
        var first = model.Forward(cache, new ForwardInputs(1, prefill, tokens[..prefill], Ones(prefill), Range(prefill)) { LogitRows = [prefill - 1] });
        Compare.AssertClose(first.Logits!, expected.AsSpan((prefill - 1) * vocab, vocab), Tolerance, $"{config} prefill last row");
        // Every other step writes its logits into one reused array, as the generation loops do.
        var buffer = new float[vocab];
        for (int t = prefill; t < tokens.Length; t++)
        {
            bool reuse = t % 2 == 0;
            var step = model.Forward(cache, new ForwardInputs(1, 1, [tokens[t]], [1], [t]) { LogitsBuffer = reuse ? buffer : null });
            if (reuse) Assert.That(step.Logits, Is.SameAs(buffer), "the logits are written into the given buffer");
            Compare.AssertClose(step.Logits!, expected.AsSpan(t * vocab, vocab), Tolerance, $"{config} decode step {t}");
        }
        Assert.That(cache.Length, Is.EqualTo(tokens.Length));
    }

    [Test]
    public void LogitsBufferOfTheWrongSizeIsRejectedBeforeAnythingRuns()
    {
        using var model = Load("llama-gqa1");
        using var cache = model.CreateCache(1, 4);
        int vocab = model.Config.VocabSize;
        Assert.That(() => model.Forward(cache, new ForwardInputs(1, 2, [1, 2], Ones(2), Range(2)) { LogitsBuffer = new float[vocab] }),
            Throws.ArgumentException.With.Message.Contains($"holds {vocab} floats").And.Message.Contains($"are {2 * vocab} (2 rows"));
        Assert.That(() => model.Forward(cache, new ForwardInputs(1, 2, [1, 2], Ones(2), Range(2)) { WantLogits = false, LogitsBuffer = new float[2 * vocab] }),
            Throws.ArgumentException.With.Message.Contains("computes no logits"));
        Assert.That(cache.Length, Is.Zero, "nothing was written to the cache");
    }

    [Test]
    public void UnknownAdapterNamesTheKnownOnes()
    {
        using var model = Load("mistral-gqa2-odd");
        Assert.That(() => model.ComputeLogits([1, 2], "nope"),
            Throws.TypeOf<KeyNotFoundException>().With.Message.Contains("'nope'").And.Message.Contains("plain, rs"));
    }

    [Test]
    public void TokenOutsideVocabularyIsRejected()
    {
        using var model = Load("llama-gqa1");
        Assert.That(() => model.ComputeLogits([1, model.Config.VocabSize]),
            Throws.InstanceOf<ArgumentOutOfRangeException>().With.Message.Contains("outside the vocabulary"));
    }

    [Test]
    public void CacheOverflowIsRejected()
    {
        using var model = Load("llama-gqa1");
        using var cache = model.CreateCache(1, 2);
        Assert.That(() => model.Forward(cache, new ForwardInputs(1, 3, [1, 2, 3], Ones(3), Range(3))),
            Throws.InvalidOperationException.With.Message.Contains("holds 2 positions"));
    }

    private static int[] Ones(int n) => Enumerable.Repeat(1, n).ToArray();
    private static int[] Range(int n) => Enumerable.Range(0, n).ToArray();
}

[TestFixture]
public sealed class CpuDecoderOracleTests : DecoderOracleSuite
{
    protected override IBackend CreateBackend() => new Clara.Engine.Backends.Cpu.CpuBackend();
}
