using Clara.Engine.Backends.Ops;
using Clara.Engine.Native.Cuda;

namespace Clara.Engine.Backends.Cuda;

/// <summary>Launches the alignment-loss kernels of kernels/memory_tokens.cu (spec §2).</summary>
internal sealed class MemoryAlignmentLauncher(KernelLauncher launcher)
{
    private const int Threads = 256;

    /// <summary>Means of the document and memory rows, then their mean squared difference.</summary>
    public void Forward(Tensor hidden, Tensor roles, Tensor docMean, Tensor memMean, Tensor mse)
    {
        var shape = AlignmentLossRules.Check(hidden, roles, docMean, memMean, mse);
        RequireGrid(shape);
        var d = launcher.F32(docMean, "alignment docMean");
        var m = launcher.F32(memMean, "alignment memMean");
        var means = new KernelArguments().Add(launcher.F32(hidden, "alignment hidden")).Add(launcher.I32(roles, "alignment roles"))
            .Add(d).Add(m).Add(shape.Length).Add(shape.Width);
        var mseArgs = new KernelArguments().Add(d).Add(m).Add(launcher.F32(mse, "alignment mse")).Add(shape.Width);
        if (shape.Batch == 0) return;
        launcher.Launch("memory_tokens.cu", "clara_memory_means",
            new LaunchShape(new Dim3((uint)((shape.Width + Threads - 1) / Threads), (uint)shape.Batch), new Dim3(Threads)), means);
        launcher.Launch("memory_tokens.cu", "clara_memory_mse", LaunchShapes.PerRow(shape.Batch, Threads), mseArgs);
    }

    public void Backward(Tensor roles, Tensor docMean, Tensor memMean, float gradScale, Tensor gradHidden)
    {
        var shape = AlignmentLossRules.CheckBackward(roles, docMean, memMean, gradScale, gradHidden);
        RequireGrid(shape);
        var args = new KernelArguments().Add(launcher.I32(roles, "alignment-backward roles")).Add(launcher.F32(docMean, "alignment-backward docMean"))
            .Add(launcher.F32(memMean, "alignment-backward memMean")).Add(gradScale).Add(launcher.F32(gradHidden, "alignment-backward gradHidden"))
            .Add(shape.Length).Add(shape.Width);
        if (shape.Batch == 0) return;
        launcher.Launch("memory_tokens.cu", "clara_memory_mse_backward", new LaunchShape(new Dim3((uint)shape.Length, (uint)shape.Batch), new Dim3(Threads)), args);
    }

    private static void RequireGrid(AlignmentShape shape)
    {
        if (shape.Batch > 65535) throw new NotSupportedException($"alignment: {shape.Batch} documents exceed the grid's y extent");
    }
}
