using Clara.Engine.Backends.Cpu;
using Clara.Engine.Models;
using Clara.Engine.Pipeline;
using Clara.Engine.Tests.Support;
using Clara.Engine.Training;
using NUnit.Framework;

namespace Clara.Engine.Tests.Training;

/// <summary>Trained values reach inference (CopyToModel) and disk (Export as PEFT directories the loader reads back).</summary>
public class TrainedWeightsTests
{
    private const string Tensor = "decoder_adapter/base_model.model.model.layers.0.self_attn.q_proj.lora_B.weight";

    private static float[] Moved(Parameter p)
    {
        var values = p.Value.ToFloatArray();
        for (int i = 0; i < values.Length; i++) values[i] += 0.05f * ((i % 7) - 3);
        return values;
    }

    [Test]
    public void CopyToModelChangesWhatTheGeneratorComputes()
    {
        using var backend = new CpuBackend();
        using var clara = ClaraModel.Load(Fixtures.Clara("clara-distinct"), backend);
        using var objective = TrainingObjectives.Create(clara, TrainingStage.Instruct);
        var ids = new[] { 1, 5, 17, 42, 9 };
        var before = clara.Decoder.ComputeLogits(ids, ClaraModel.DecoderAdapter);
        var p = objective.Parameters[Tensor];
        var moved = Moved(p);
        backend.Upload(System.Runtime.InteropServices.MemoryMarshal.AsBytes(moved.AsSpan()), p.Value);
        objective.CopyToModel();
        clara.Decoder.GetAdapter(ClaraModel.DecoderAdapter)!.TryGet(0, LinearSlot.Q, out _, out var b);
        Assert.That(b.ToFloatArray(), Is.EqualTo(moved));
        Assert.That(clara.Decoder.ComputeLogits(ids, ClaraModel.DecoderAdapter), Is.Not.EqualTo(before));
    }

    [Test]
    public void ExportWritesPeftAdaptersTheLoaderReadsBack()
    {
        var dir = Path.Combine(Path.GetTempPath(), "clara-export-" + Guid.NewGuid().ToString("N"));
        try
        {
            using var backend = new CpuBackend();
            using var clara = ClaraModel.Load(Fixtures.Clara("clara-repeated"), backend);
            using var objective = TrainingObjectives.Create(clara, TrainingStage.E2e);
            var p = objective.Parameters[Tensor];
            var moved = Moved(p);
            backend.Upload(System.Runtime.InteropServices.MemoryMarshal.AsBytes(moved.AsSpan()), p.Value);
            objective.Export(dir);
            Assert.That(Directory.GetDirectories(Path.Combine(dir, "adapters")).Select(Path.GetFileName).Order(),
                Is.EqualTo(new[] { ClaraModel.DecoderAdapter, ClaraModel.QueryAdapter }));
            var original = clara.Decoder.GetAdapter(ClaraModel.DecoderAdapter)!;
            using var loaded = CheckpointLoader.LoadAdapter(Path.Combine(dir, "adapters", ClaraModel.DecoderAdapter), "reloaded", clara.Decoder.Config, backend);
            Assert.That(loaded.Scale, Is.EqualTo(original.Scale));
            Assert.That(loaded.PairCount, Is.EqualTo(original.PairCount));
            loaded.TryGet(0, LinearSlot.Q, out _, out var b);
            Assert.That(b.ToFloatArray(), Is.EqualTo(moved));
        }
        finally
        {
            if (Directory.Exists(dir)) Directory.Delete(dir, recursive: true);
        }
    }

    [Test]
    public void StageLmRefusesWeightsThatAreNotF32()
    {
        using var backend = new CpuBackend();
        using var model = DecoderModel.Load(Fixtures.Model("mistral-gqa4-bf16"), backend);
        var e = Assert.Throws<NotSupportedException>(() => TrainingObjectives.CreateLm(model));
        Assert.That(e!.Message, Does.Contain("F32").And.Contain("BF16"));
    }

    /// <summary>Adapters a stage's graph would never reach are refused by name, not trained into silence.</summary>
    [TestCase(TrainingStage.Rank, ClaraModel.DecoderAdapter, "no generator")]
    [TestCase(TrainingStage.E2e, ClaraModel.EncoderAdapter, "compressor frozen")]
    public void AnAdapterTheStageCannotTrainIsRefused(TrainingStage stage, string adapter, string reason)
    {
        using var backend = new CpuBackend();
        using var clara = ClaraModel.Load(Fixtures.Clara("clara-distinct"), backend);
        var e = Assert.Throws<NotSupportedException>(() => TrainingObjectives.Create(clara, stage,
            new TrainingOptions { TrainableAdapters = [ClaraModel.QueryAdapter, adapter] }));
        Assert.That(e!.Message, Does.Contain(adapter).And.Contain(reason));
    }

    [Test]
    public void AnExampleOfAnotherStageIsRefused()
    {
        using var backend = new CpuBackend();
        using var clara = ClaraModel.Load(Fixtures.Clara("clara-distinct"), backend);
        using var objective = TrainingObjectives.Create(clara, TrainingStage.Instruct);
        var e = Assert.Throws<ArgumentException>(() => objective.AccumulateGradients([new LmExample([1, 2, 3])]));
        Assert.That(e!.Message, Does.Contain("lm").And.Contain("instruct"));
    }
}
