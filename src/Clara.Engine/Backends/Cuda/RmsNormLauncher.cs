using Clara.Engine.Backends.Ops;
using Clara.Engine.Native.Cuda;

namespace Clara.Engine.Backends.Cuda;

/// <summary>Launches kernels/rmsnorm.cu.</summary>
internal sealed class RmsNormLauncher(KernelLauncher launcher)
{
    public void Forward(Tensor input, Tensor weight, float eps, Tensor output)
    {
        int hidden = RmsNormRules.Check(input, weight, output);
        string suffix = CudaTensor.StorageSuffix(weight, "rmsnorm weight");
        var args = new KernelArguments().Add(launcher.F32(input, "rmsnorm input")).Add(launcher.Any(weight, "rmsnorm weight"))
            .Add(launcher.F32(output, "rmsnorm output")).Add(hidden).Add(eps);
        if (input.ElementCount == 0) return;
        launcher.Launch("rmsnorm.cu", "clara_rmsnorm_" + suffix, LaunchShapes.PerRow(input.Shape.Rows), args);
    }
}
