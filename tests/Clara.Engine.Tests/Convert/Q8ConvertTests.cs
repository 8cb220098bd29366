using Clara.Engine.Backends.Cpu;
using Clara.Engine.IO.Safetensors;
using Clara.Engine.Models;
using Clara.Engine.Tensors;
using NUnit.Framework;

namespace Clara.Engine.Tests.Convert;

/// <summary>
/// <c>clara convert --dtype q8_0</c> against PyTorch (tests/oracle/make_q8_fixtures.py): every stored tensor's bytes
/// (int8 values and F16 scales of the projections and lm_head, the F16 embedding, F32 norms), then loading it back on
/// the CPU backend from the engine file and from a CLaRa directory, and the errors for what cannot be quantised or
/// loaded (input dimension not a multiple of 32, a missing scales tensor).
/// </summary>
[TestFixture]
public sealed class Q8ConvertTests
{
    private ScratchDirectory _scratch = null!;

    private static string HfQ8 => Path.Combine(Support.Fixtures.Root, "q8", "hf-q8");

    [SetUp]
    public void SetUp() => _scratch = new ScratchDirectory();

    [TearDown]
    public void TearDown() => _scratch.Dispose();

    [Test]
    public void EngineFileHoldsPyTorchsQuantisationAndLoads()
    {
        string output = _scratch.File("q8.safetensors");
        var result = ConvertCli.Run(HfQ8, "--dtype", "q8_0", "--out", output, "--quiet");
        Assert.That(result.ExitCode, Is.Zero, result.ToString());

        var actual = ReferenceSafetensors.Read(output);
        var expected = ReferenceSafetensors.Read(Path.Combine(Support.Fixtures.Root, "q8", "expected_q8_0.safetensors"));
        Assert.That(actual.Keys, Is.EquivalentTo(expected.Keys));
        foreach (var (name, e) in expected)
        {
            Assert.That(actual[name].DType, Is.EqualTo(e.DType), name);
            Assert.That(actual[name].Shape, Is.EqualTo(e.Shape), name);
            Assert.That(actual[name].Bytes, Is.EqualTo(e.Bytes), $"{name}: bytes differ from PyTorch's");
        }
        Assert.That(ConvertCli.Run("verify", output).ExitCode, Is.Zero, "verify accepts the Q8_0 tensors and their scales");

        using var backend = new CpuBackend(threads: 1);
        var (weights, adapters, _) = EngineFile.Load(output, backend);
        using (weights)
        {
            Assert.That(adapters, Is.Empty);
            AssertQ8Model(weights);
        }
    }

    [Test]
    public void ClaraDirectoryLoadsWithItsScales()
    {
        string dir = _scratch.File("clara-q8");
        var result = ConvertCli.Run(HfQ8, "--dtype", "q8_0", "--to-dir", dir, "--quiet");
        Assert.That(result.ExitCode, Is.Zero, result.ToString());
        using var backend = new CpuBackend(threads: 1);
        using var weights = CheckpointLoader.LoadBase(dir, backend);
        AssertQ8Model(weights);
    }

    [Test]
    public void InputDimensionsThatAreNotWholeBlocksAreRefusedByName()
    {
        // hf-single has hidden size 24.
        var result = ConvertCli.Run(Fixtures.File("hf-single"), "--dtype", "q8_0", "--out", _scratch.File("out.safetensors"), "--quiet");
        Assert.That(result.ExitCode, Is.EqualTo(1), result.ToString());
        Assert.That(result.Stderr, Does.Contain("not quantisable: 'layers.0.wq'").And.Contain("multiple of 32"));
        Assert.That(_scratch.Entries(), Is.Empty, "nothing written");
    }

    [Test]
    public void AMissingScalesTensorIsNamed()
    {
        string dir = _scratch.File("clara-q8");
        Assert.That(ConvertCli.Run(HfQ8, "--dtype", "q8_0", "--to-dir", dir, "--quiet").ExitCode, Is.Zero);
        string model = Path.Combine(dir, "model.safetensors");
        string scales = Q8Blocks.ScalesName(WeightNames.HfLinear(1, LinearSlot.Down));
        var kept = ReferenceSafetensors.Read(model).Where(t => t.Key != scales).ToList();
        Assert.That(kept.Count, Is.EqualTo(ReferenceSafetensors.Read(model).Count - 1), $"{scales} was in the directory");
        File.Delete(model);
        SafetensorsWriter.Write(model, kept.Select(t =>
        {
            DTypeInfo.TryParseSafetensorsName(t.Value.DType, out var dtype);
            return TensorToWrite.FromBytes(t.Key, dtype, new Shape(t.Value.Shape.Select(d => (int)d).ToArray()), t.Value.Bytes);
        }));

        using var backend = new CpuBackend(threads: 1);
        var e = Assert.Throws<InvalidDataException>(() => CheckpointLoader.LoadBase(dir, backend).Dispose());
        Assert.That(e!.Message, Does.Contain($"{WeightNames.HfLinear(1, LinearSlot.Down)} is I8 (Q8_0 values) but its scales {scales} are missing"));
    }

    /// <summary>
    /// The whole decoder on Q8_0 weights: a 20-token prefill (dequantised tiles) and one decode step (the streamed
    /// GEMV) give logits within 5 % of the largest fp32 logit of the same model converted to f32 (the quantisation
    /// error of this model is about 1 %; bench/RESULTS.md has the measured figures).
    /// </summary>
    [Test]
    public void Q8ModelLogitsStayCloseToFp32()
    {
        string f32 = _scratch.File("f32.safetensors"), q8 = _scratch.File("q8.safetensors");
        Assert.That(ConvertCli.Run(HfQ8, "--dtype", "f32", "--out", f32, "--quiet").ExitCode, Is.Zero);
        Assert.That(ConvertCli.Run(HfQ8, "--dtype", "q8_0", "--out", q8, "--quiet").ExitCode, Is.Zero);
        using var backend = new CpuBackend(threads: 2);
        var reference = Logits(f32, backend);
        var quantised = Logits(q8, backend);
        double max = reference.Max(Math.Abs), error = reference.Zip(quantised, (a, b) => Math.Abs(a - b)).Max();
        TestContext.Out.WriteLine($"max |logit error| {error:G4} of max |logit| {max:G4}");
        Assert.That(error, Is.LessThan(0.05 * max));
        Assert.That(error, Is.GreaterThan(0), "the Q8_0 model is not the fp32 one");
    }

    /// <summary>Logits of a 20-token prompt's last row, then of one more token.</summary>
    private static float[] Logits(string path, Backends.IBackend backend)
    {
        var (weights, _, _) = EngineFile.Load(path, backend);
        using (weights)
        using (var runner = new DecoderRunner(weights, backend))
        using (var cache = new KvCache(backend, weights.Config, 1, 21))
        {
            int[] ids = Enumerable.Range(0, 20).Select(i => 3 + i * 7 % 47).ToArray();
            var first = runner.Forward(cache, new ForwardInputs(1, 20, ids, Enumerable.Repeat(1, 20).ToArray(), Enumerable.Range(0, 20).ToArray())
            {
                LogitRows = [19],
            }, null).Logits!;
            var next = runner.Forward(cache, new ForwardInputs(1, 1, [5], [1], [20]), null).Logits!;
            return [.. first, .. next];
        }
    }

    private static void AssertQ8Model(ModelWeights weights)
    {
        foreach (var layer in weights.Layers)
            foreach (var slot in LinearSlots.All)
            {
                Assert.That(layer[slot].DType, Is.EqualTo(DType.Q8_0), slot.ToString());
                Assert.That(layer[slot].BlockScales!.Shape, Is.EqualTo(new Shape(layer[slot].Shape[0], layer[slot].Shape[1] / 32)));
            }
        Assert.That(weights.LmHead.DType, Is.EqualTo(DType.Q8_0));
        Assert.That(weights.Embedding.DType, Is.EqualTo(DType.F16));
        Assert.That(weights.Norm.DType, Is.EqualTo(DType.F32));
    }
}
