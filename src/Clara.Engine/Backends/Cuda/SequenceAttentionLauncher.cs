using Clara.Engine.Backends.Ops;
using Clara.Engine.Native.Cuda;

namespace Clara.Engine.Backends.Cuda;

/// <summary>Launches kernels/attention_training.cu: whole-sequence attention with its log-sum-exp, and the backward.</summary>
internal sealed class SequenceAttentionLauncher(KernelLauncher launcher, CudaContext context) : IDisposable
{
    /// <summary>Each lane keeps the dims lane + 32·c, c &lt; 4, in registers.</summary>
    public const int MaxHeadDim = 128;

    // The tile geometry of attention_training.cu (its #defines).
    private const int TileKeys = 32, TileStride = TileKeys + 1;
    private const int ForwardRows = 16, ForwardThreads = 128;
    private const int KvThreads = 256;
    private const int QueryRows = 8, QueryThreads = 128;
    private const int DeltaThreads = 256;

    private readonly DeviceScratch _delta = new(context, launcher.Stream);

    public void Forward(Tensor query, Tensor key, Tensor value, Tensor keyMask, AttentionLayout layout, Tensor output, Tensor logSumExp)
    {
        SequenceAttentionRules.Check(query, key, value, keyMask, layout, output, logSumExp);
        RequireSupported(layout);
        const string op = "sequence-attention";
        var args = Common(query, key, value, keyMask, op).Add(launcher.F32(output, $"{op} output")).Add(launcher.F32(logSumExp, $"{op} logSumExp"))
            .Add(layout.QueryLength).Add(layout.Heads).Add(layout.KvHeads).Add(layout.HeadDim).Add(layout.Scale);
        int d = layout.HeadDim;
        launcher.Launch("attention_training.cu", "clara_sequence_attention_forward",
            Grid(layout, ForwardRows, layout.Heads, ForwardThreads, (ForwardRows * d + d * TileStride + TileKeys * d) * sizeof(float)), args);
    }

    public void Backward(Tensor query, Tensor key, Tensor value, Tensor keyMask, AttentionLayout layout, Tensor output,
        Tensor logSumExp, Tensor gradOutput, Tensor gradQuery, Tensor gradKey, Tensor gradValue)
    {
        SequenceAttentionRules.CheckBackward(query, key, value, keyMask, layout, output, logSumExp, gradOutput, gradQuery, gradKey, gradValue);
        RequireSupported(layout);
        const string op = "sequence-attention-backward";
        var o = launcher.F32(output, $"{op} output");
        var lse = launcher.F32(logSumExp, $"{op} logSumExp");
        var dO = launcher.F32(gradOutput, $"{op} gradOutput");
        var dQ = launcher.F32(gradQuery, $"{op} gradQuery");
        var dK = launcher.F32(gradKey, $"{op} gradKey");
        var dV = launcher.F32(gradValue, $"{op} gradValue");
        int t = layout.QueryLength, d = layout.HeadDim;
        var delta = _delta.Get((long)layout.Batch * layout.Heads * t * sizeof(float));

        launcher.Launch("attention_training.cu", "clara_sequence_attention_backward_delta",
            LaunchShapes.PerRow((long)layout.Batch * t, DeltaThreads),
            new KernelArguments().Add(o).Add(dO).Add(delta).Add(t).Add(layout.Heads).Add(d));
        var kv = Common(query, key, value, keyMask, op).Add(dO).Add(lse).Add(delta).Add(dK).Add(dV)
            .Add(t).Add(layout.Heads).Add(layout.KvHeads).Add(d).Add(layout.Scale);
        launcher.Launch("attention_training.cu", "clara_sequence_attention_backward_kv",
            Grid(layout, TileKeys, layout.KvHeads, KvThreads, 2 * TileKeys * d * sizeof(float)), kv);
        var q = Common(query, key, value, keyMask, op).Add(dO).Add(lse).Add(delta).Add(dQ)
            .Add(t).Add(layout.Heads).Add(layout.KvHeads).Add(d).Add(layout.Scale);
        launcher.Launch("attention_training.cu", "clara_sequence_attention_backward_q",
            Grid(layout, QueryRows, layout.Heads, QueryThreads, (2 * QueryRows * d + 2 * d * TileStride) * sizeof(float)), q);
    }

    private KernelArguments Common(Tensor query, Tensor key, Tensor value, Tensor keyMask, string op) =>
        new KernelArguments().Add(launcher.F32(query, $"{op} query")).Add(launcher.F32(key, $"{op} key"))
            .Add(launcher.F32(value, $"{op} value")).Add(launcher.I32(keyMask, $"{op} keyMask"));

    /// <summary>grid = (ceil(T / rowsPerBlock), heads, batch).</summary>
    private static LaunchShape Grid(AttentionLayout layout, int rowsPerBlock, int heads, int threads, int sharedBytes) =>
        new(new Dim3((uint)((layout.QueryLength + rowsPerBlock - 1) / rowsPerBlock), (uint)heads, (uint)layout.Batch), new Dim3((uint)threads), sharedBytes);

    private static void RequireSupported(AttentionLayout layout)
    {
        if (layout.HeadDim > MaxHeadDim)
            throw new NotSupportedException($"the CUDA training attention supports head dimensions up to {MaxHeadDim}, got {layout.HeadDim}");
        if (layout.Heads > 65535 || layout.Batch > 65535)
            throw new NotSupportedException($"{layout.Heads} heads × {layout.Batch} sequences exceed the grid's y/z extent of 65535");
    }

    public void Dispose() => _delta.Dispose();
}
