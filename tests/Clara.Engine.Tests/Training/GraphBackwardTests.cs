using Clara.Engine.Backends.Cpu;
using Clara.Engine.Graph;
using Clara.Engine.Tensors;
using Clara.Engine.Training;
using NUnit.Framework;

namespace Clara.Engine.Tests.Training;

/// <summary>The mechanics of the backward pass on graphs small enough to differentiate by hand.</summary>
public class GraphBackwardTests
{
    private static float[] Ramp(int n, float scale) => Enumerable.Range(0, n).Select(i => scale * (i - n / 2f)).ToArray();

    /// <summary>
    /// loss = Σ ((u + v + u·Aᵀ)·Bᵀ) with u = X·Pᵀ, v = X·Qᵀ. The outer adds hand one gradient value to several inputs;
    /// u·Aᵀ's rule then adds into u's gradient before v's rule reads its own, so that addition must not be in place.
    /// With s[j] = Σ_c B[c, j]: ∂loss/∂Q[o, i] = s[o]·Σ_rows X[row, i] and ∂loss/∂P[o, i] = (s[o] + Σ_j s[j]·A[j, o])·Σ_rows X[row, i].
    /// </summary>
    [Test]
    public void AGradientHandedToSeveralInputsIsNotOverwritten()
    {
        using var backend = new CpuBackend();
        using var store = new ParameterStore(backend, [("p", new Shape(3, 4)), ("q", new Shape(3, 4))]);
        backend.Upload(System.Runtime.InteropServices.MemoryMarshal.AsBytes(Ramp(24, 0.1f).AsSpan()), store.Values);
        float[] x = Ramp(20, 0.3f), a = Ramp(9, 0.25f), b = Ramp(6, 0.2f);
        var tensors = new[] { Tensor.FromFloats(backend, x, 5, 4), Tensor.FromFloats(backend, a, 3, 3), Tensor.FromFloats(backend, b, 2, 3) };
        var g = new ComputeGraph();
        var input = g.Input("x", new Shape(5, 4), DType.F32);
        var u = g.MatMul(input, g.Parameter(store["p"]), "u");
        var v = g.MatMul(input, g.Parameter(store["q"]), "v");
        var ua = g.MatMul(u, g.External("a", tensors[1]), "ua");
        var t = g.Add(g.Add(u, v, "uv"), ua, "t");
        var loss = g.Sum(g.MatMul(t, g.External("b", tensors[2]), "z"), 1f, "loss");
        g.MarkOutput(loss);
        Autodiff.Backward(g, loss);
        using var executor = new GraphExecutor(backend);
        executor.Run(g, new Dictionary<Value, Tensor> { [input] = tensors[0] });

        var s = new float[3];
        for (int j = 0; j < 3; j++) s[j] = b[j] + b[3 + j];
        float[] expectedP = new float[12], expectedQ = new float[12];
        for (int o = 0; o < 3; o++)
        {
            float d = s[o];
            for (int j = 0; j < 3; j++) d += s[j] * a[j * 3 + o];
            for (int i = 0; i < 4; i++)
                for (int r = 0; r < 5; r++)
                {
                    expectedP[o * 4 + i] += d * x[r * 4 + i];
                    expectedQ[o * 4 + i] += s[o] * x[r * 4 + i];
                }
        }
        Assert.That(store["q"].Gradient.ToFloatArray(), Is.EqualTo(expectedQ).Within(1e-4), "dQ");
        Assert.That(store["p"].Gradient.ToFloatArray(), Is.EqualTo(expectedP).Within(1e-4), "dP");
        foreach (var tensor in tensors) tensor.Buffer.Dispose();
    }

    [Test]
    public void ALossWithoutParametersIsRefused()
    {
        var g = new ComputeGraph();
        var input = g.Input("x", new Shape(2, 3), DType.F32);
        var loss = g.Sum(input, 1f, "loss");
        var e = Assert.Throws<InvalidOperationException>(() => Autodiff.Backward(g, loss));
        Assert.That(e!.Message, Does.Contain("loss").And.Contain("trainable"));
    }

    [Test]
    public void ANonScalarLossIsRefused()
    {
        var g = new ComputeGraph();
        var e = Assert.Throws<ArgumentException>(() => Autodiff.Backward(g, g.Input("x", new Shape(2), DType.F32)));
        Assert.That(e!.Message, Does.Contain("scalar"));
    }
}
