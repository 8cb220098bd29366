using Clara.Engine.Native.Cuda;

namespace Clara.Engine.Backends.Cuda;

/// <summary>Launches the alignment-loss kernels of kernels/memory_tokens.cu.</summary>
internal sealed class MemoryAlignmentLauncher(KernelLauncher launcher)
{
    private const int Threads = 256;

    public void Means(Tensor hidden, Tensor roles, Tensor docMean, Tensor memMean)
    {
        var x = launcher.F32(hidden, "alignment hidden states");
        var r = launcher.I32(roles, "alignment roles");
        var d = launcher.F32(docMean, "alignment document mean");
        var m = launcher.F32(memMean, "alignment memory mean");
        var (batch, len, width) = Layout(hidden, roles);
        if (docMean.ElementCount != (long)batch * width || memMean.ElementCount != (long)batch * width)
            throw new ArgumentException($"alignment means {docMean.Shape}, {memMean.Shape} should be [{batch}, {width}]");
        var args = new KernelArguments().Add(x).Add(r).Add(d).Add(m).Add(len).Add(width);
        var shape = new LaunchShape(new Dim3((uint)((width + Threads - 1) / Threads), (uint)batch), new Dim3(Threads));
        launcher.Launch("memory_tokens.cu", "clara_memory_means", shape, args);
    }

    public void Mse(Tensor docMean, Tensor memMean, Tensor mse)
    {
        var d = launcher.F32(docMean, "alignment document mean");
        var m = launcher.F32(memMean, "alignment memory mean");
        var e = launcher.F32(mse, "alignment mse");
        long batch = mse.ElementCount;
        if (batch == 0 || docMean.ElementCount != memMean.ElementCount || docMean.ElementCount % batch != 0)
            throw new ArgumentException($"alignment means {docMean.Shape}, {memMean.Shape} do not give {batch} mse values");
        int width = (int)(docMean.ElementCount / batch);
        var args = new KernelArguments().Add(d).Add(m).Add(e).Add(width);
        launcher.Launch("memory_tokens.cu", "clara_memory_mse", LaunchShapes.PerRow(batch, Threads), args);
    }

    public void MseBackward(Tensor roles, Tensor docMean, Tensor memMean, float gradScale, Tensor gradHidden)
    {
        var r = launcher.I32(roles, "alignment roles");
        var d = launcher.F32(docMean, "alignment document mean");
        var m = launcher.F32(memMean, "alignment memory mean");
        var gh = launcher.F32(gradHidden, "alignment hidden-state gradient");
        var (batch, len, width) = Layout(gradHidden, roles);
        if (docMean.ElementCount != (long)batch * width || memMean.ElementCount != (long)batch * width)
            throw new ArgumentException($"alignment backward needs [{batch}, {width}] means");
        var args = new KernelArguments().Add(r).Add(d).Add(m).Add(gradScale).Add(gh).Add(len).Add(width);
        var shape = new LaunchShape(new Dim3((uint)len, (uint)batch), new Dim3(Threads));
        launcher.Launch("memory_tokens.cu", "clara_memory_mse_backward", shape, args);
    }

    /// <summary>hidden [batch, len, width] with roles [batch, len].</summary>
    private static (int Batch, int Len, int Width) Layout(Tensor hidden, Tensor roles)
    {
        if (hidden.Shape.Rank != 3) throw new ArgumentException($"alignment hidden states must be [batch, len, width], got {hidden.Shape}");
        int batch = hidden.Shape[0], len = hidden.Shape[1], width = hidden.Shape[2];
        if (roles.ElementCount != (long)batch * len) throw new ArgumentException($"alignment roles {roles.Shape} should be [{batch}, {len}]");
        if (batch == 0 || len == 0 || width == 0) throw new ArgumentException($"alignment hidden states {hidden.Shape} are empty");
        if (batch > 65535) throw new NotSupportedException($"alignment: {batch} documents exceed the grid's y extent");
        return (batch, len, width);
    }
}
