using Clara.Engine.Native.Cuda;

namespace Clara.Engine.Backends.Cuda;

/// <summary>Launches kernels/rmsnorm.cu.</summary>
internal sealed class RmsNormLauncher(KernelLauncher launcher)
{
    public void Forward(Tensor input, Tensor weight, float eps, Tensor output)
    {
        var x = launcher.F32(input, "rmsnorm input");
        var y = launcher.F32(output, "rmsnorm output");
        string suffix = CudaTensor.StorageSuffix(weight, "rmsnorm weight");
        var w = launcher.Any(weight, "rmsnorm weight");
        int hidden = input.Shape[-1];
        if (weight.ElementCount != hidden || output.ElementCount != input.ElementCount)
            throw new ArgumentException($"rmsnorm shapes disagree: input {input.Shape}, weight {weight.Shape}, output {output.Shape}");
        if (input.ElementCount == 0) return;

        var args = new KernelArguments().Add(x).Add(w).Add(y).Add(hidden).Add(eps);
        launcher.Launch("rmsnorm.cu", "clara_rmsnorm_" + suffix, LaunchShapes.PerRow(input.Shape.Rows), args);
    }
}
