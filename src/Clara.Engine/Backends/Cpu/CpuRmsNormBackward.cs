using System.Numerics.Tensors;
using Clara.Engine.Backends.Ops;
using Clara.Engine.Tensors;

namespace Clara.Engine.Backends.Cpu;

/// <summary>
/// CPU twin of <see cref="IKernels.RmsNormBackward"/>. With r = rsqrt(mean(x²) + eps) recomputed exactly as the forward
/// does and gw = gradOutput ⊙ weight: dx = r·gw − x · r³ · ⟨gw, x⟩ / hidden, and dweight += Σ_rows gradOutput ⊙ x·r.
/// </summary>
internal static class CpuRmsNormBackward
{
    public static void Run(Tensor input, Tensor weight, float eps, Tensor gradOutput, Tensor gradInput, Tensor? gradWeight, int threads)
    {
        var shape = RmsNormBackwardRules.Check(input, weight, eps, gradOutput, gradInput, gradWeight);
        int hidden = shape.Hidden;
        var w = new float[hidden];
        WeightRows.Read(weight, 0, w);
        int parts = Math.Max(1, Math.Min(threads, shape.Rows / 16));
        // Each part sums its rows' weight gradient privately; the parts are added in order afterwards (deterministic).
        var partial = gradWeight is null ? null : new float[parts][];
        KernelWorkers.Run(parts, part =>
        {
            int first = (int)((long)shape.Rows * part / parts), last = (int)((long)shape.Rows * (part + 1) / parts);
            var x = CpuTensor.Span<float>(input);
            var g = CpuTensor.Span<float>(gradOutput);
            var dx = CpuTensor.Span<float>(gradInput);
            float[]? sum = partial is null ? null : partial[part] = new float[hidden];
            var gw = new float[hidden];
            var normed = new float[hidden];
            for (int row = first; row < last; row++)
            {
                var xr = x.Slice(row * hidden, hidden);
                var gr = g.Slice(row * hidden, hidden);
                float r = 1f / MathF.Sqrt(TensorPrimitives.Dot(xr, xr) / hidden + eps);
                TensorPrimitives.Multiply(gr, w, gw);
                float coefficient = r * r * r * TensorPrimitives.Dot(gw, xr) / hidden;
                if (sum is not null)
                {
                    TensorPrimitives.Multiply(xr, r, normed);
                    TensorPrimitives.MultiplyAdd(normed, gr, sum, sum);
                }
                // dx = gw·r − x·coefficient, written last: gradInput may alias gradOutput.
                var dr = dx.Slice(row * hidden, hidden);
                TensorPrimitives.Multiply(xr, -coefficient, normed);
                TensorPrimitives.MultiplyAdd(gw, r, normed, dr);
            }
        });
        if (gradWeight is null) return;
        var dw = CpuTensor.Span<float>(gradWeight);
        foreach (var sum in partial!) TensorPrimitives.Add(dw, sum, dw);
    }
}
