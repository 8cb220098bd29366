using Clara.Engine.Backends.Ops;
using Clara.Engine.Native.Cuda;

namespace Clara.Engine.Backends.Cuda;

/// <summary>
/// Launches kernels/cosine_rerank.cu: a partial-sums pass over (candidate, slice) blocks sized to fill
/// the GPU, then one block that finishes the scores; or, for the backward,
/// one block that turns the partials into per-candidate coefficients and a pass over the query's elements.
/// </summary>
internal sealed class CosineRerankLauncher(KernelLauncher launcher, CudaContext context) : IDisposable
{
    private const int Threads = 256;
    private readonly DeviceScratch _partials = new(context, launcher.Stream);

    public void Scores(Tensor query, Tensor candidates, Tensor scores)
    {
        var (scoreCount, dimension) = CosineRules.CheckScores(query, candidates, scores);
        var s = launcher.F32(scores, "cosine scores");
        int dim = CudaTensor.IntCount(dimension, "cosine query");
        int count = CudaTensor.IntCount(scoreCount, "cosine scores");
        var q = launcher.F32(query, "cosine query");
        if (count == 0) return;
        var (partials, queryPartials, splits) = Partials(q, candidates, "cosine candidates", count, dim, extraFloats: 0);
        var second = new KernelArguments().Add(partials).Add(queryPartials).Add(s).Add(count).Add(splits);
        launcher.Launch("cosine_rerank.cu", "clara_cosine_finalize", new LaunchShape(new Dim3(1), new Dim3(Threads)), second);
    }

    /// <summary>gradQuery += Σ_i gradScores[i] · ∂cos(query, candidates[i])/∂query, from the same partial sums as the scores.</summary>
    public void Backward(Tensor query, Tensor candidates, Tensor gradScores, Tensor gradQuery)
    {
        var shape = CosineBackwardRules.Check(query, candidates, gradScores, gradQuery);
        var q = launcher.F32(query, "cosine-backward query");
        var g = launcher.F32(gradScores, "cosine-backward gradScores");
        var dq = launcher.F32(gradQuery, "cosine-backward gradQuery");
        if (shape.Count == 0) return;
        var (partials, queryPartials, splits) = Partials(q, candidates, "cosine-backward candidates", shape.Count, shape.Dim, extraFloats: shape.Count + 1);
        var coefficients = queryPartials + (long)splits * sizeof(float);
        launcher.Launch("cosine_rerank.cu", "clara_cosine_backward_coefficients", new LaunchShape(new Dim3(1), new Dim3(Threads)),
            new KernelArguments().Add(partials).Add(queryPartials).Add(g).Add(coefficients).Add(shape.Count).Add(splits));
        string suffix = CudaTensor.StorageSuffix(candidates, "cosine-backward candidates");
        launcher.Launch("cosine_rerank.cu", "clara_cosine_backward_query_" + suffix,
            new LaunchShape(new Dim3((uint)((shape.Dim + Threads - 1) / Threads)), new Dim3(Threads)),
            new KernelArguments().Add(q).Add(launcher.Any(candidates, "cosine-backward candidates")).Add(coefficients).Add(dq).Add(shape.Count).Add(shape.Dim));
    }

    /// <summary>gradCandidates[i] += gradScores[i] · ∂cos(query, candidates[i])/∂candidates[i], from the same partial sums as the scores.</summary>
    public void BackwardCandidates(Tensor query, Tensor candidates, Tensor gradScores, Tensor gradCandidates)
    {
        var shape = CosineBackwardRules.CheckCandidates(query, candidates, gradScores, gradCandidates);
        var q = launcher.F32(query, "cosine-backward query");
        var c = launcher.F32(candidates, "cosine-backward candidates");
        var g = launcher.F32(gradScores, "cosine-backward gradScores");
        var dc = launcher.F32(gradCandidates, "cosine-backward gradCandidates");
        if (shape.Count == 0) return;
        if (shape.Count > 65535) throw new ArgumentException($"cosine-backward candidates {candidates.Shape}: at most 65535 candidates (one grid row each)");
        var (partials, queryPartials, splits) = Partials(q, candidates, "cosine-backward candidates", shape.Count, shape.Dim, extraFloats: 2 * shape.Count);
        var coefficients = queryPartials + (long)splits * sizeof(float);
        launcher.Launch("cosine_rerank.cu", "clara_cosine_backward_candidate_coefficients", new LaunchShape(new Dim3(1), new Dim3(Threads)),
            new KernelArguments().Add(partials).Add(queryPartials).Add(g).Add(coefficients).Add(shape.Count).Add(splits));
        launcher.Launch("cosine_rerank.cu", "clara_cosine_backward_candidates",
            new LaunchShape(new Dim3((uint)((shape.Dim + Threads - 1) / Threads), (uint)shape.Count), new Dim3(Threads)),
            new KernelArguments().Add(q).Add(c).Add(coefficients).Add(dc).Add(shape.Dim));
    }

    /// <summary>
    /// The first pass: (q·c, c·c) per candidate and slice, and q·q per slice, in the scratch buffer, followed by
    /// <paramref name="extraFloats"/> more floats the caller may use.
    /// </summary>
    private (DevicePointer Partials, DevicePointer QueryPartials, int Splits) Partials(DevicePointer q, Tensor candidates, string operand,
        int count, int dim, int extraFloats)
    {
        string suffix = CudaTensor.StorageSuffix(candidates, operand);
        var c = launcher.Any(candidates, operand);
        // Split each vector so that about four blocks per SM run, but never slices shorter than a block.
        int maxSplits = Math.Max(1, (dim + Threads - 1) / Threads);
        int splits = Math.Clamp((4 * launcher.Multiprocessors + count - 1) / count, 1, Math.Min(maxSplits, 65535));
        int chunk = (dim + splits - 1) / splits;
        long partialFloats = (long)count * splits * 2 + splits + extraFloats;
        var partials = _partials.Get(partialFloats * sizeof(float));
        var queryPartials = partials + (long)count * splits * 2 * sizeof(float);

        var first = new KernelArguments().Add(q).Add(c).Add(partials).Add(queryPartials).Add(dim).Add(chunk);
        launcher.Launch("cosine_rerank.cu", "clara_cosine_partials_" + suffix,
            new LaunchShape(new Dim3((uint)count, (uint)splits), new Dim3(Threads)), first);
        return (partials, queryPartials, splits);
    }

    public void Dispose() => _partials.Dispose();
}
