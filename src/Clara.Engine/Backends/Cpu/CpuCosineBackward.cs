using System.Numerics.Tensors;
using Clara.Engine.Backends.Ops;
using Clara.Engine.Tensors;

namespace Clara.Engine.Backends.Cpu;

/// <summary>
/// CPU twin of <see cref="IKernels.CosineScoresBackward"/>. The forward is cos_i = q̂ · d̂_i with x̂ = x / max(‖x‖, 1e-12)
/// (F.normalize); for ‖q‖ above the guard ∂cos_i/∂q = (d̂_i − cos_i·q̂) / ‖q‖, below it q̂ = q / 1e-12 and the
/// gradient is d̂_i / 1e-12. So gradQuery += (Σ_i g_i d̂_i − (Σ_i g_i cos_i)·q̂) / ‖q‖ in one pass over the candidates.
/// By the same symmetry gradCandidates[i] += g_i (q̂ − cos_i·d̂_i) / max(‖d_i‖, 1e-12), without the projection term
/// while ‖d_i‖ is below the guard.
/// </summary>
internal static class CpuCosineBackward
{
    private const float NormFloor = 1e-12f;

    public static void Run(Tensor query, Tensor candidates, Tensor gradScores, Tensor gradQuery)
    {
        var shape = CosineBackwardRules.Check(query, candidates, gradScores, gradQuery);
        var q = CpuTensor.Span<float>(query);
        var g = CpuTensor.Span<float>(gradScores);
        int dim = shape.Dim;
        float qNorm = MathF.Sqrt(TensorPrimitives.Dot(q, q));
        float qScale = MathF.Max(qNorm, NormFloor);
        var row = new float[dim];
        var weighted = new double[dim];
        double gradDotCos = 0;
        for (int i = 0; i < shape.Count; i++)
        {
            WeightRows.Read(candidates, (long)i * dim, row);
            float dScale = MathF.Max(MathF.Sqrt(TensorPrimitives.Dot(row, row)), NormFloor);
            float cos = TensorPrimitives.Dot(q, row) / (qScale * dScale);
            gradDotCos += (double)g[i] * cos;
            double factor = g[i] / (double)dScale;
            for (int c = 0; c < dim; c++) weighted[c] += factor * row[c];
        }
        var dq = CpuTensor.Span<float>(gradQuery);
        // Below the guard the normalisation is a constant scale: no projection term.
        double projection = qNorm > NormFloor ? gradDotCos / qScale : 0;
        for (int c = 0; c < dim; c++) dq[c] += (float)((weighted[c] - projection * q[c]) / qScale);
    }

    public static void Candidates(Tensor query, Tensor candidates, Tensor gradScores, Tensor gradCandidates)
    {
        var shape = CosineBackwardRules.CheckCandidates(query, candidates, gradScores, gradCandidates);
        var q = CpuTensor.Span<float>(query);
        var g = CpuTensor.Span<float>(gradScores);
        var all = CpuTensor.Span<float>(candidates);
        var grad = CpuTensor.Span<float>(gradCandidates);
        int dim = shape.Dim;
        float qScale = MathF.Max(MathF.Sqrt(TensorPrimitives.Dot(q, q)), NormFloor);
        for (int i = 0; i < shape.Count; i++)
        {
            var row = all.Slice(i * dim, dim);
            float dNorm = MathF.Sqrt(TensorPrimitives.Dot(row, row));
            float dScale = MathF.Max(dNorm, NormFloor);
            float cos = TensorPrimitives.Dot(q, row) / (qScale * dScale);
            float queryFactor = g[i] / (qScale * dScale);
            float rowFactor = dNorm > NormFloor ? g[i] * cos / (dScale * dNorm) : 0f;
            var dRow = grad.Slice(i * dim, dim);
            TensorPrimitives.MultiplyAdd(q, queryFactor, dRow, dRow);
            TensorPrimitives.MultiplyAdd(row, -rowFactor, dRow, dRow);
        }
    }
}
