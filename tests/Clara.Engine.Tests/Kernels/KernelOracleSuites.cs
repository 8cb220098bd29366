using Clara.Engine.Backends;
using Clara.Engine.IO.Safetensors;
using Clara.Engine.Models;
using Clara.Engine.Tests.Support;
using Clara.Engine.Tensors;
using NUnit.Framework;

namespace Clara.Engine.Tests.Kernels;

/// <summary>
/// One kernel family at a time, fed the PyTorch oracle's own input activation of that op and compared with the
/// oracle's output (tests/fixtures/reference/*.safetensors), so a kernel is checked in isolation from the rest of
/// the model. Each family is an abstract suite instantiated per backend.
/// </summary>
public abstract class KernelOracleSuite : BackendSuite
{
    protected const double Tolerance = 1e-5;

    public static readonly string[] Configs = ["llama-gqa1", "mistral-gqa2-odd", "mistral-gqa4-bf16"];

    /// <summary>The fixture's reference tensors and its weights on this suite's backend.</summary>
    protected sealed class Case(SafetensorsFile reference, ModelWeights weights) : IDisposable
    {
        public SafetensorsFile Reference { get; } = reference;
        public ModelWeights Weights { get; } = weights;
        public ModelConfig Config => Weights.Config;
        public int Tokens => Reference["tokens"].Shape[0];
        public float[] this[string name] => Reference.ReadAsFloat32(name);

        public void Dispose()
        {
            Weights.Dispose();
            Reference.Dispose();
        }
    }

    protected Case Open(string config) =>
        new(SafetensorsFile.Open(Fixtures.Reference(config)), CheckpointLoader.LoadBase(Fixtures.Model(config), Backend));
}

public abstract class EmbeddingSuite : KernelOracleSuite
{
    [TestCaseSource(nameof(Configs))]
    public void GathersTheOracleRows(string config)
    {
        using var c = Open(config);
        var output = Zeros(c.Tokens, c.Config.HiddenSize);
        Backend.Kernels.Embedding(Ints(c.Reference.ReadAsInt32("tokens"), c.Tokens), c.Weights.Embedding, output);
        Compare.AssertClose(output.ToFloatArray(), c["hidden.embed"], 0, $"{config} embedding");
    }

    [Test]
    public void IdOutsideTheTableIsRejected()
    {
        using var c = Open("llama-gqa1");
        // CUDA kernels flag a bad index and the backend raises it at the next synchronisation, so check there.
        Assert.That(() =>
            {
                Backend.Kernels.Embedding(Ints([0, c.Config.VocabSize], 2), c.Weights.Embedding, Zeros(2, c.Config.HiddenSize));
                Backend.Synchronize();
            },
            Throws.InstanceOf<ArgumentException>().With.Message.Contains("outside"));
    }
}

public abstract class RmsNormSuite : KernelOracleSuite
{
    [TestCaseSource(nameof(Configs))]
    public void NormalisesLikeTheOracle(string config)
    {
        using var c = Open(config);
        for (int i = 0; i < c.Config.Layers; i++)
        {
            var input = i == 0 ? c["hidden.embed"] : c[$"hidden.layer{i - 1}"];
            var output = Zeros(c.Tokens, c.Config.HiddenSize);
            Backend.Kernels.RmsNorm(Floats(input, c.Tokens, c.Config.HiddenSize), c.Weights.Layers[i].AttnNorm, c.Config.RmsNormEps, output);
            Compare.AssertClose(output.ToFloatArray(), c[$"layer{i}.attn_norm"], Tolerance, $"{config} layer {i} rmsnorm");
        }
    }
}

public abstract class MatMulRopeSuite : KernelOracleSuite
{
    [TestCaseSource(nameof(Configs))]
    public void ProjectsAndRotatesLikeTheOracle(string config)
    {
        using var c = Open(config);
        var positions = Ints(Enumerable.Range(0, c.Tokens).ToArray(), c.Tokens);
        for (int i = 0; i < c.Config.Layers; i++)
        {
            var normed = Floats(c[$"layer{i}.attn_norm"], c.Tokens, c.Config.HiddenSize);
            foreach (var (slot, name, width) in new[] { (LinearSlot.Q, "q_rope", c.Config.QueryWidth), (LinearSlot.K, "k_rope", c.Config.KvWidth) })
            {
                var projected = Zeros(c.Tokens, width);
                var rotated = Zeros(c.Tokens, width);
                Backend.Kernels.MatMul(normed, c.Weights.Layers[i][slot], projected);
                Backend.Kernels.Rope(projected, positions, c.Config.HeadDim, c.Config.RopeTheta, rotated);
                Compare.AssertClose(rotated.ToFloatArray(), c[$"layer{i}.{name}"], Tolerance, $"{config} layer {i} {name}");
            }
            var v = Zeros(c.Tokens, c.Config.KvWidth);
            Backend.Kernels.MatMul(normed, c.Weights.Layers[i][LinearSlot.V], v);
            Compare.AssertClose(v.ToFloatArray(), c[$"layer{i}.v"], Tolerance, $"{config} layer {i} v");
        }
    }
}

public abstract class AttentionSuite : KernelOracleSuite
{
    [TestCaseSource(nameof(Configs))]
    public void AttendsLikeTheOracle(string config)
    {
        using var c = Open(config);
        int t = c.Tokens;
        for (int i = 0; i < c.Config.Layers; i++)
        {
            var keys = Zeros(1, t, c.Config.KvWidth);
            var values = Zeros(1, t, c.Config.KvWidth);
            Backend.Kernels.WriteCache(Floats(c[$"layer{i}.k_rope"], t, c.Config.KvWidth), keys, 0);
            Backend.Kernels.WriteCache(Floats(c[$"layer{i}.v"], t, c.Config.KvWidth), values, 0);
            var output = Zeros(t, c.Config.QueryWidth);
            var layout = new AttentionLayout(1, t, 0, c.Config.Heads, c.Config.KvHeads, c.Config.HeadDim, 1f / MathF.Sqrt(c.Config.HeadDim));
            Backend.Kernels.Attention(Floats(c[$"layer{i}.q_rope"], t, c.Config.QueryWidth), keys, values, Ints(Enumerable.Repeat(1, t).ToArray(), 1, t), layout, output);
            Compare.AssertClose(output.ToFloatArray(), c[$"layer{i}.attn"], Tolerance, $"{config} layer {i} attention");
        }
    }

    [TestCaseSource(nameof(Configs))]
    public void DecodeStepsAgainstTheCacheMatchThePrefill(string config)
    {
        using var c = Open(config);
        int t = c.Tokens, qw = c.Config.QueryWidth;
        var keys = Zeros(1, t, c.Config.KvWidth);
        var values = Zeros(1, t, c.Config.KvWidth);
        Backend.Kernels.WriteCache(Floats(c["layer0.k_rope"], t, c.Config.KvWidth), keys, 0);
        Backend.Kernels.WriteCache(Floats(c["layer0.v"], t, c.Config.KvWidth), values, 0);
        var q = c["layer0.q_rope"];
        var expected = c["layer0.attn"];
        var mask = Ints(Enumerable.Repeat(1, t).ToArray(), 1, t);
        for (int step = 0; step < t; step++)
        {
            var output = Zeros(1, qw);
            var layout = new AttentionLayout(1, 1, step, c.Config.Heads, c.Config.KvHeads, c.Config.HeadDim, 1f / MathF.Sqrt(c.Config.HeadDim));
            Backend.Kernels.Attention(Floats(q.AsSpan(step * qw, qw).ToArray(), 1, qw), keys, values, mask, layout, output);
            Compare.AssertClose(output.ToFloatArray(), expected.AsSpan(step * qw, qw), Tolerance, $"{config} decode step {step}");
        }
    }
}

public abstract class SwiGluSuite : KernelOracleSuite
{
    [TestCaseSource(nameof(Configs))]
    public void MlpMatchesTheOracle(string config)
    {
        using var c = Open(config);
        int t = c.Tokens, inter = c.Config.IntermediateSize;
        for (int i = 0; i < c.Config.Layers; i++)
        {
            var x = Floats(c[$"layer{i}.mlp_norm"], t, c.Config.HiddenSize);
            var gate = Zeros(t, inter);
            var up = Zeros(t, inter);
            var act = Zeros(t, inter);
            var down = Zeros(t, c.Config.HiddenSize);
            var w = c.Weights.Layers[i];
            Backend.Kernels.MatMul(x, w[LinearSlot.Gate], gate);
            Backend.Kernels.MatMul(x, w[LinearSlot.Up], up);
            Backend.Kernels.SwiGlu(gate, up, act);
            Backend.Kernels.MatMul(act, w[LinearSlot.Down], down);
            Compare.AssertClose(down.ToFloatArray(), c[$"layer{i}.mlp"], Tolerance, $"{config} layer {i} mlp");
        }
    }
}

public abstract class LogSoftmaxSuite : KernelOracleSuite
{
    [TestCaseSource(nameof(Configs))]
    public void RowsSumToOneAndKeepDifferences(string config)
    {
        using var c = Open(config);
        int v = c.Config.VocabSize;
        var logits = c["logits"];
        var output = Zeros(c.Tokens, v);
        Backend.Kernels.LogSoftmax(Floats(logits, c.Tokens, v), output);
        var result = output.ToFloatArray();
        for (int r = 0; r < c.Tokens; r++)
        {
            double total = 0;
            for (int j = 0; j < v; j++) total += Math.Exp(result[r * v + j]);
            Assert.That(total, Is.EqualTo(1.0).Within(1e-5), $"row {r} probabilities sum");
            // log-softmax only shifts a row: differences between entries are the logits' own.
            Assert.That(result[r * v + 1] - result[r * v], Is.EqualTo(logits[r * v + 1] - logits[r * v]).Within(1e-4));
        }
    }
}

public abstract class CosineRerankSuite : KernelOracleSuite
{
    [TestCase("clara-distinct")]
    [TestCase("clara-repeated")]
    public void ScoresMatchTheOracle(string config)
    {
        using var reference = SafetensorsFile.Open(Fixtures.Reference(config));
        var memory = reference.ReadAsFloat32("memory");
        var query = reference.ReadAsFloat32("query");
        int n = reference["memory"].Shape[0];
        var scores = Zeros(n);
        Backend.Kernels.CosineScores(Floats(query, query.Length), Floats(memory, n, query.Length), scores);
        Compare.AssertClose(scores.ToFloatArray(), reference.ReadAsFloat32("scores"), Tolerance, $"{config} cosine scores");
    }
}

public abstract class RowsSuite : KernelOracleSuite
{
    [Test]
    public void GatherAndScatterMoveWholeRows()
    {
        var source = Floats([1, 2, 3, 4, 5, 6, 7, 8, 9], 3, 3);
        var gathered = Zeros(2, 3);
        Backend.Kernels.GatherRows(source, Ints([2, 0], 2), gathered);
        Assert.That(gathered.ToFloatArray(), Is.EqualTo(new float[] { 7, 8, 9, 1, 2, 3 }));
        var target = Floats(new float[12], 4, 3);
        Backend.Kernels.ScatterRows(gathered, Ints([3, 1], 2), target);
        Assert.That(target.ToFloatArray(), Is.EqualTo(new float[] { 0, 0, 0, 1, 2, 3, 0, 0, 0, 7, 8, 9 }));
        Assert.That(() =>
            {
                Backend.Kernels.GatherRows(source, Ints([3], 1), Zeros(1, 3));
                Backend.Synchronize();
            },
            Throws.InstanceOf<ArgumentException>());
    }
}

[TestFixture] public sealed class CpuEmbeddingTests : EmbeddingSuite { protected override IBackend CreateBackend() => new Backends.Cpu.CpuBackend(); }
[TestFixture] public sealed class CpuRmsNormTests : RmsNormSuite { protected override IBackend CreateBackend() => new Backends.Cpu.CpuBackend(); }
[TestFixture] public sealed class CpuMatMulRopeTests : MatMulRopeSuite { protected override IBackend CreateBackend() => new Backends.Cpu.CpuBackend(); }
[TestFixture] public sealed class CpuAttentionTests : AttentionSuite { protected override IBackend CreateBackend() => new Backends.Cpu.CpuBackend(); }
[TestFixture] public sealed class CpuSwiGluTests : SwiGluSuite { protected override IBackend CreateBackend() => new Backends.Cpu.CpuBackend(); }
[TestFixture] public sealed class CpuLogSoftmaxTests : LogSoftmaxSuite { protected override IBackend CreateBackend() => new Backends.Cpu.CpuBackend(); }
[TestFixture] public sealed class CpuCosineRerankTests : CosineRerankSuite { protected override IBackend CreateBackend() => new Backends.Cpu.CpuBackend(); }
[TestFixture] public sealed class CpuRowsTests : RowsSuite { protected override IBackend CreateBackend() => new Backends.Cpu.CpuBackend(); }
