using Clara.Engine.Tensors;
using Clara.Engine.Tests.Support;
using NUnit.Framework;

namespace Clara.Engine.Tests.Kernels.Grad;

/// <summary>SwiGluBackward against autograd of silu(gate)·up, and against finite differences of the forward kernel.</summary>
public abstract class SwiGluBackwardSuite : GradOracleSuite
{
    [Test]
    public void GradientsMatchAutograd()
    {
        var f = Load("swiglu_backward");
        var gradGate = Zeros(f.Shape("gate"));
        var gradUp = Zeros(f.Shape("up"));
        Backend.Kernels.SwiGluBackward(F32(f, "gate"), F32(f, "up"), F32(f, "grad_out"), gradGate, gradUp);
        AssertOracle(gradGate.ToFloatArray(), f.F32("grad_gate"), "swiglu dgate");
        AssertOracle(gradUp.ToFloatArray(), f.F32("grad_up"), "swiglu dup");
    }

    [Test]
    public void GateGradientMatchesFiniteDifferences()
    {
        var f = Load("swiglu_backward");
        var shape = f.Shape("gate");
        var up = F32(f, "up");
        var upstream = f.F32("grad_out");
        var gradGate = Zeros(shape);
        Backend.Kernels.SwiGluBackward(F32(f, "gate"), up, F32(f, "grad_out"), gradGate, Zeros(shape));
        FiniteDifference.AssertMatches(gate =>
        {
            var output = Zeros(shape);
            Backend.Kernels.SwiGlu(Floats(gate, shape), up, output);
            return FiniteDifference.Dot(output.ToFloatArray(), upstream);
        }, f.F32("gate"), gradGate.ToFloatArray(), "swiglu dgate");
    }
}

/// <summary>RmsNormBackward against autograd of HF's LlamaRMSNorm (f32 and bf16 weights), and finite differences.</summary>
public abstract class RmsNormBackwardSuite : GradOracleSuite
{
    [TestCase("f32")]
    [TestCase("bf16")]
    public void GradientsMatchAutogradAndTheWeightGradientAccumulates(string name)
    {
        var f = Load("rmsnorm_backward");
        var gradInput = Zeros(f.Shape($"{name}.input"));
        var gradWeight = F32(f, $"{name}.grad_weight0");
        Backend.Kernels.RmsNormBackward(F32(f, $"{name}.input"), Stored(f, $"{name}.weight", name == "bf16" ? DType.BF16 : DType.F32),
            (float)f.F64Scalar($"{name}.eps"), F32(f, $"{name}.grad_out"), gradInput, gradWeight);
        AssertOracle(gradInput.ToFloatArray(), f.F32($"{name}.grad_input"), $"rmsnorm {name} dx");
        AssertOracle(gradWeight.ToFloatArray(), f.F32($"{name}.grad_weight"), $"rmsnorm {name} dweight (accumulated)");
    }

    [Test]
    public void WithoutAWeightGradientOnlyTheInputGradientIsWritten()
    {
        var f = Load("rmsnorm_backward");
        var gradInput = Zeros(f.Shape("f32.input"));
        Backend.Kernels.RmsNormBackward(F32(f, "f32.input"), F32(f, "f32.weight"), (float)f.F64Scalar("f32.eps"), F32(f, "f32.grad_out"), gradInput, null);
        AssertOracle(gradInput.ToFloatArray(), f.F32("f32.grad_input"), "rmsnorm dx (no dweight)");
    }

    [Test]
    public void InputGradientMatchesFiniteDifferences()
    {
        var f = Load("rmsnorm_backward");
        var shape = f.Shape("f32.input");
        var weight = F32(f, "f32.weight");
        float eps = (float)f.F64Scalar("f32.eps");
        var upstream = f.F32("f32.grad_out");
        var gradInput = Zeros(shape);
        Backend.Kernels.RmsNormBackward(F32(f, "f32.input"), weight, eps, F32(f, "f32.grad_out"), gradInput, null);
        FiniteDifference.AssertMatches(x =>
        {
            var output = Zeros(shape);
            Backend.Kernels.RmsNorm(Floats(x, shape), weight, eps, output);
            return FiniteDifference.Dot(output.ToFloatArray(), upstream);
        }, f.F32("f32.input"), gradInput.ToFloatArray(), "rmsnorm dx");
    }

    [Test]
    public void MismatchedOperandsAreRefusedByName()
    {
        AssertRefused(() => Backend.Kernels.RmsNormBackward(Zeros(2, 4), Zeros(4), 1e-5f, Zeros(2, 4), Zeros(2, 4), Zeros(3)), "gradWeight");
        AssertRefused(() => Backend.Kernels.RmsNormBackward(Zeros(2, 4), Zeros(5), 1e-5f, Zeros(2, 4), Zeros(2, 4), null), "rmsnorm-backward weight");
    }
}

/// <summary>RopeBackward against autograd of HF's rotate_half RoPE (with a large position), and finite differences.</summary>
public abstract class RopeBackwardSuite : GradOracleSuite
{
    [Test]
    public void GradientMatchesAutograd()
    {
        var f = Load("rope_backward");
        var gradInput = Zeros(f.Shape("grad_out"));
        Backend.Kernels.RopeBackward(F32(f, "grad_out"), I32(f, "positions"), (int)f.I64Scalar("head_dim"), (float)f.F64Scalar("theta"), gradInput);
        AssertOracle(gradInput.ToFloatArray(), f.F32("grad_input"), "rope dx");
    }

    [Test]
    public void GradientMatchesFiniteDifferencesOfTheForward()
    {
        var f = Load("rope_backward");
        var shape = f.Shape("grad_out");
        var positions = I32(f, "positions");
        int headDim = (int)f.I64Scalar("head_dim");
        float theta = (float)f.F64Scalar("theta");
        var upstream = f.F32("grad_out");
        var gradInput = Zeros(shape);
        Backend.Kernels.RopeBackward(F32(f, "grad_out"), positions, headDim, theta, gradInput);
        // RoPE is linear, so any point will do; a fixed smooth one.
        var x = new float[upstream.Length];
        for (int i = 0; i < x.Length; i++) x[i] = MathF.Sin(i * 0.37f);
        FiniteDifference.AssertMatches(input =>
        {
            var output = Zeros(shape);
            Backend.Kernels.Rope(Floats(input, shape), positions, headDim, theta, output);
            return FiniteDifference.Dot(output.ToFloatArray(), upstream);
        }, x, gradInput.ToFloatArray(), "rope dx");
    }

    [Test]
    public void AnOddHeadDimensionIsRefused() =>
        AssertRefused(() => Backend.Kernels.RopeBackward(Zeros(2, 6), Ints([0, 1], 2), 3, 10000f, Zeros(2, 6)), "headDim");
}
