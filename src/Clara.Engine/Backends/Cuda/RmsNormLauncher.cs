using Clara.Engine.Backends.Ops;
using Clara.Engine.Native.Cuda;

namespace Clara.Engine.Backends.Cuda;

/// <summary>Launches kernels/rmsnorm.cu: the forward, and the backward as stats → weight gradient → input gradient.</summary>
internal sealed class RmsNormLauncher(KernelLauncher launcher, CudaContext context) : IDisposable
{
    private const int Threads = 256;

    /// <summary>Rows summed by one thread of the weight-gradient pass: long enough to amortise, short enough to fill the GPU.</summary>
    private const int RowsPerChunk = 64;

    private readonly DeviceScratch _stats = new(context, launcher.Stream);
    private readonly DeviceScratch _partials = new(context, launcher.Stream);

    public void Forward(Tensor input, Tensor weight, float eps, Tensor output)
    {
        int hidden = RmsNormRules.Check(input, weight, output);
        string suffix = CudaTensor.StorageSuffix(weight, "rmsnorm weight");
        var args = new KernelArguments().Add(launcher.F32(input, "rmsnorm input")).Add(launcher.Any(weight, "rmsnorm weight"))
            .Add(launcher.F32(output, "rmsnorm output")).Add(hidden).Add(eps);
        if (input.ElementCount == 0) return;
        launcher.Launch("rmsnorm.cu", "clara_rmsnorm_" + suffix, LaunchShapes.PerRow(input.Shape.Rows), args);
    }

    public void Backward(Tensor input, Tensor weight, float eps, Tensor gradOutput, Tensor gradInput, Tensor? gradWeight)
    {
        var shape = RmsNormBackwardRules.Check(input, weight, eps, gradOutput, gradInput, gradWeight);
        string suffix = CudaTensor.StorageSuffix(weight, "rmsnorm-backward weight");
        var x = launcher.F32(input, "rmsnorm-backward input");
        var w = launcher.Any(weight, "rmsnorm-backward weight");
        var g = launcher.F32(gradOutput, "rmsnorm-backward gradOutput");
        var dx = launcher.F32(gradInput, "rmsnorm-backward gradInput");
        var dw = gradWeight is null ? DevicePointer.Null : launcher.F32(gradWeight, "rmsnorm-backward gradWeight");
        if (shape.Rows == 0) return;

        var stats = _stats.Get(2L * shape.Rows * sizeof(float));
        launcher.Launch("rmsnorm.cu", "clara_rmsnorm_backward_stats_" + suffix, LaunchShapes.PerRow(shape.Rows, Threads),
            new KernelArguments().Add(x).Add(w).Add(g).Add(stats).Add(shape.Hidden).Add(eps));
        // The weight gradient reads gradOutput and input, so it runs before gradInput (which may alias either) is written.
        if (gradWeight is not null)
        {
            int chunks = (shape.Rows + RowsPerChunk - 1) / RowsPerChunk;
            if (chunks > 65535) throw new NotSupportedException($"rmsnorm-backward: {shape.Rows} rows exceed the weight-gradient grid");
            uint columnBlocks = (uint)((shape.Hidden + Threads - 1) / Threads);
            var partials = _partials.Get((long)chunks * shape.Hidden * sizeof(float));
            launcher.Launch("rmsnorm.cu", "clara_rmsnorm_weight_grad_partials", new LaunchShape(new Dim3(columnBlocks, (uint)chunks), new Dim3(Threads)),
                new KernelArguments().Add(x).Add(g).Add(stats).Add(partials).Add(shape.Rows).Add(shape.Hidden).Add(RowsPerChunk));
            launcher.Launch("rmsnorm.cu", "clara_rmsnorm_weight_grad_finish", new LaunchShape(new Dim3(columnBlocks), new Dim3(Threads)),
                new KernelArguments().Add(partials).Add(dw).Add(shape.Hidden).Add(chunks));
        }
        launcher.Launch("rmsnorm.cu", "clara_rmsnorm_backward_input_" + suffix, LaunchShapes.PerRow(shape.Rows, Threads),
            new KernelArguments().Add(x).Add(w).Add(g).Add(stats).Add(dx).Add(shape.Hidden));
    }

    public void Dispose()
    {
        _stats.Dispose();
        _partials.Dispose();
    }
}
