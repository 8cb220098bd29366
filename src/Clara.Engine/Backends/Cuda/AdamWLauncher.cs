using Clara.Engine.Training;
using Clara.Engine.Backends.Cpu.Training;
using Clara.Engine.Native.Cuda;

namespace Clara.Engine.Backends.Cuda;

/// <summary>Launches kernels/adamw.cu.</summary>
internal sealed class AdamWLauncher(KernelLauncher launcher)
{
    public void Step(Tensor param, Tensor grad, Tensor expAvg, Tensor expAvgSq, in AdamWScalars s, float gradScale)
    {
        var p = launcher.F32(param, "AdamW parameter");
        var g = launcher.F32(grad, "AdamW gradient");
        var m = launcher.F32(expAvg, "AdamW first moment");
        var v = launcher.F32(expAvgSq, "AdamW second moment");
        long n = param.ElementCount;
        if (grad.ElementCount != n || expAvg.ElementCount != n || expAvgSq.ElementCount != n)
            throw new ArgumentException($"AdamW: parameter {param.Shape}, gradient {grad.Shape} and moments {expAvg.Shape}, {expAvgSq.Shape} differ in size");
        if (n == 0) return;
        var args = new KernelArguments().Add(p).Add(g).Add(m).Add(v).Add(n)
            .Add(s.Beta1).Add(s.OneMinusBeta1).Add(s.Beta2).Add(s.OneMinusBeta2)
            .Add(s.Epsilon).Add(s.Decay).Add(s.StepSize).Add(s.Bias2Sqrt).Add(gradScale);
        launcher.Launch("adamw.cu", "clara_adamw", LaunchShapes.Elementwise(n, launcher.Multiprocessors), args);
    }
}
