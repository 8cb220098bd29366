using Clara.Engine.Backends.Cpu;
using Clara.Engine.Pipeline;
using Clara.Engine.Tests.Support;
using Clara.Engine.Training;
using NUnit.Framework;

namespace Clara.Engine.Tests.Training;

/// <summary>
/// A second witness besides autograd: central differences of the engine's own loss at the largest-gradient entries of a
/// few tensors. fp32 losses limit it to about 1e-2 relative. The query reasoner is not checked this way: the e2e loss
/// is piecewise constant in it (the forward uses exactly the hard top-k), so only the straight-through surrogate —
/// checked against autograd — has a gradient there.
/// </summary>
public class FiniteDifferenceWitnessTests
{
    [TestCase("clara-distinct", "lm", "model.layers.1.self_attn.q_proj.weight")]
    [TestCase("clara-distinct", "lm", "model.embed_tokens.weight")]
    [TestCase("clara-repeated", "scp", "encoder_adapter/base_model.model.model.layers.0.mlp.up_proj.lora_A.weight")]
    [TestCase("clara-repeated", "scp", "decoder_adapter/base_model.model.model.layers.1.self_attn.v_proj.lora_B.weight")]
    [TestCase("clara-distinct", "instruct", "decoder_adapter/base_model.model.model.layers.0.self_attn.k_proj.lora_A.weight")]
    [TestCase("clara-distinct", "e2e", "decoder_adapter/base_model.model.model.layers.1.mlp.down_proj.lora_B.weight")]
    public void CentralDifferencesAgreeWithTheGradient(string model, string stage, string tensor)
    {
        using var backend = new CpuBackend();
        using var clara = ClaraModel.Load(Fixtures.Clara(model), backend);
        var s = TrainingStages.Parse(stage);
        using var objective = TrainingObjectives.Create(clara, s);
        var batch = PretokenizedExamples.Read(StageGradientOracleSuite.DataFile(model, stage), s);
        objective.Parameters.ZeroGradients();
        objective.AccumulateGradients(batch);
        var p = objective.Parameters[tensor];
        var gradient = p.Gradient.ToFloatArray();
        var values = p.Value.ToFloatArray();
        const float step = 1e-2f;
        foreach (int i in Enumerable.Range(0, gradient.Length).OrderByDescending(i => Math.Abs(gradient[i])).Take(3))
        {
            float loss(float delta)
            {
                var moved = (float[])values.Clone();
                moved[i] += delta;
                backend.Upload(System.Runtime.InteropServices.MemoryMarshal.AsBytes(moved.AsSpan()), p.Value);
                return objective.Evaluate(batch);
            }
            double numeric = ((double)loss(step) - loss(-step)) / (2 * step);
            loss(0);
            TestContext.Out.WriteLine($"{tensor}[{i}]: gradient {gradient[i]:E4}, central difference {numeric:E4}");
            Assert.That(Math.Abs(gradient[i]), Is.GreaterThan(1e-3), "the entry must carry a gradient worth checking");
            Assert.That(numeric, Is.EqualTo(gradient[i]).Within(2e-2 * Math.Abs(gradient[i]) + 2e-4), $"{tensor}[{i}]");
        }
    }
}
