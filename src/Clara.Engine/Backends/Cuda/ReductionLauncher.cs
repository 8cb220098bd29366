using Clara.Engine.Backends.Ops;
using Clara.Engine.Native.Cuda;

namespace Clara.Engine.Backends.Cuda;

/// <summary>Launches kernels/reduction.cu: Σ x and Σ x² to one value, through a fixed number of double partials.</summary>
internal sealed class ReductionLauncher(KernelLauncher launcher, CudaContext context) : IDisposable
{
    private const int Threads = 256;
    private const int FinishThreads = 1024;
    private readonly DeviceScratch _partials = new(context, launcher.Stream);

    public void Sum(Tensor input, float scale, Tensor output) => Run(input, output, "sum", squares: false, scale);

    public void SumOfSquares(Tensor input, Tensor output) => Run(input, output, "sum-of-squares", squares: true, 1f);

    private void Run(Tensor input, Tensor output, string op, bool squares, float scale)
    {
        long n = ReductionRules.Check(input, output, op);
        var x = launcher.F32(input, $"{op} input");
        var y = launcher.F32(output, $"{op} output");
        // At least one block, so an empty input still writes its sum, 0. The block count depends only on n and the GPU,
        // so the grouping of the additions, and the result, is the same on every run.
        int blocks = (int)Math.Clamp((n + Threads - 1) / Threads, 1, Math.Min(FinishThreads, 4L * launcher.Multiprocessors));
        var partials = _partials.Get((long)blocks * sizeof(double));
        launcher.Launch("reduction.cu", "clara_sum_partials", new LaunchShape(new Dim3((uint)blocks), new Dim3(Threads)),
            new KernelArguments().Add(x).Add(partials).Add(n).Add(squares ? 1 : 0));
        launcher.Launch("reduction.cu", "clara_sum_finish", new LaunchShape(new Dim3(1), new Dim3(FinishThreads)),
            new KernelArguments().Add(partials).Add(blocks).Add(scale).Add(y));
    }

    public void Dispose() => _partials.Dispose();
}
