using System.Diagnostics;
using Clara.Engine.Backends;
using Clara.Engine.Tensors;

namespace Clara.Engine.Bench.Profiling;

/// <summary>Times every call into another backend's kernels; matmuls are told apart by role (base weight or LoRA factor).</summary>
internal sealed class TimingKernels(IBackend backend) : IKernels
{
    private readonly IKernels _inner = backend.Kernels;

    public KernelProfile Profile { get; } = new();

    public void Embedding(Tensor ids, Tensor table, Tensor output) => Time("embedding", () => _inner.Embedding(ids, table, output));
    public void RmsNorm(Tensor input, Tensor weight, float eps, Tensor output) => Time("rmsnorm", () => _inner.RmsNorm(input, weight, eps, output));

    public void MatMul(Tensor input, Tensor weight, Tensor output, float alpha = 1f, float beta = 0f)
    {
        long m = input.Shape.Rows;
        int n = weight.Shape[0], k = weight.Shape[1];
        // LoRA factors are the thin products: x·Aᵀ has N = r, (x·Aᵀ)·Bᵀ has K = r.
        string role = k <= 64 ? "matmul lora B (K=r)" : n <= 64 ? "matmul lora A (N=r)" : n >= 16384 ? "matmul lm_head" : "matmul base";
        string rows = m <= 2 ? "gemv" : "gemm";
        Time($"{role} {rows} {weight.DType}", () => _inner.MatMul(input, weight, output, alpha, beta), 2.0 * m * n * k);
    }

    public void Rope(Tensor input, Tensor positions, int headDim, float theta, Tensor output) => Time("rope", () => _inner.Rope(input, positions, headDim, theta, output));
    public void WriteCache(Tensor source, Tensor cache, int start) => Time("write_cache", () => _inner.WriteCache(source, cache, start));

    public void Attention(Tensor query, Tensor keyCache, Tensor valueCache, Tensor keyMask, AttentionLayout layout, Tensor output) =>
        Time(layout.QueryLength == 1 ? "attention decode" : "attention prefill",
            () => _inner.Attention(query, keyCache, valueCache, keyMask, layout, output));

    public void SwiGlu(Tensor gate, Tensor up, Tensor output) => Time("swiglu", () => _inner.SwiGlu(gate, up, output));
    public void Add(Tensor a, Tensor b, Tensor output) => Time("add", () => _inner.Add(a, b, output));
    public void LogSoftmax(Tensor input, Tensor output) => Time("log_softmax", () => _inner.LogSoftmax(input, output));
    public void GatherRows(Tensor input, Tensor rows, Tensor output) => Time("gather_rows", () => _inner.GatherRows(input, rows, output));
    public void ScatterRows(Tensor source, Tensor rows, Tensor target) => Time("scatter_rows", () => _inner.ScatterRows(source, rows, target));
    public void CosineScores(Tensor query, Tensor candidates, Tensor scores) => Time("cosine_scores", () => _inner.CosineScores(query, candidates, scores));

    private void Time(string category, Action call, double flops = 0)
    {
        var clock = Stopwatch.StartNew();
        call();
        backend.Synchronize();
        Profile.Add(category, clock.Elapsed.TotalSeconds, flops);
    }
}
