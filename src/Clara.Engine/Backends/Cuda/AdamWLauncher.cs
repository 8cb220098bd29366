using Clara.Engine.Backends.Ops;
using Clara.Engine.Native.Cuda;
using Clara.Engine.Training;

namespace Clara.Engine.Backends.Cuda;

/// <summary>Launches kernels/adamw.cu.</summary>
internal sealed class AdamWLauncher(KernelLauncher launcher)
{
    public void Step(Tensor parameter, Tensor gradient, Tensor expAvg, Tensor expAvgSq, in AdamWScalars s, float gradScale)
    {
        long n = AdamWRules.Check(parameter, gradient, expAvg, expAvgSq, gradScale);
        var args = new KernelArguments().Add(launcher.F32(parameter, "adamw parameter")).Add(launcher.F32(gradient, "adamw gradient"))
            .Add(launcher.F32(expAvg, "adamw expAvg")).Add(launcher.F32(expAvgSq, "adamw expAvgSq")).Add(n)
            .Add(s.Beta1).Add(s.OneMinusBeta1).Add(s.Beta2).Add(s.OneMinusBeta2)
            .Add(s.Epsilon).Add(s.Decay).Add(s.StepSize).Add(s.Bias2Sqrt).Add(gradScale);
        if (n == 0) return;
        launcher.Launch("adamw.cu", "clara_adamw", LaunchShapes.Elementwise(n, launcher.Multiprocessors), args);
    }
}
