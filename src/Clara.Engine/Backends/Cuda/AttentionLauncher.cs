using Clara.Engine.Backends.Ops;
using Clara.Engine.Native.Cuda;

namespace Clara.Engine.Backends.Cuda;

/// <summary>Launches kernels/attention.cu (the KV-cache write and the attention itself).</summary>
internal sealed class AttentionLauncher(KernelLauncher launcher)
{
    /// <summary>attention.cu keeps 8 dims per lane in registers.</summary>
    public const int MaxHeadDim = 256;

    public void WriteCache(Tensor source, Tensor cache, int start)
    {
        var (_, capacity, width, length) = AttentionRules.CheckCacheWrite(source, cache, start);
        var src = launcher.F32(source, "cache source");
        var dst = launcher.F32(cache, "cache");
        if (length == 0) return;

        var args = new KernelArguments().Add(src).Add(dst).Add(length).Add(capacity).Add(width).Add(start);
        launcher.Launch("attention.cu", "clara_write_cache", LaunchShapes.PerRow(source.Shape.Rows), args);
    }

    public void Forward(Tensor query, Tensor keyCache, Tensor valueCache, Tensor keyMask, AttentionLayout layout, Tensor output)
    {
        int capacity = AttentionRules.CheckAttention(query, keyCache, valueCache, keyMask, layout, output);
        var q = launcher.F32(query, "attention query");
        var k = launcher.F32(keyCache, "key cache");
        var v = launcher.F32(valueCache, "value cache");
        var mask = launcher.I32(keyMask, "key mask");
        var o = launcher.F32(output, "attention output");
        int d = layout.HeadDim;
        if (d > MaxHeadDim) throw new NotSupportedException($"the CUDA attention kernel supports head dimensions up to {MaxHeadDim}, got {d}");
        if (layout.Heads > 65535) throw new NotSupportedException($"{layout.Heads} heads exceed the grid's y extent");

        // A decode step has one query per sequence: give it more warps so the key range is split wider.
        int warps = layout.QueryLength == 1 ? 8 : 4;
        int sharedBytes = (warps * d + 2 * warps) * sizeof(float);
        var shape = new LaunchShape(new Dim3(checked((uint)(layout.Batch * layout.QueryLength)), (uint)layout.Heads), new Dim3((uint)(32 * warps)), sharedBytes);
        var args = new KernelArguments().Add(q).Add(k).Add(v).Add(mask).Add(o)
            .Add(layout.QueryLength).Add(layout.Start).Add(capacity).Add(layout.Heads).Add(layout.KvHeads).Add(d).Add(layout.Scale);
        launcher.Launch("attention.cu", "clara_attention", shape, args);
    }
}
