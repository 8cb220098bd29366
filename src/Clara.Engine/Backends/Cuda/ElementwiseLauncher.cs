using Clara.Engine.Native.Cuda;

namespace Clara.Engine.Backends.Cuda;

/// <summary>Launches kernels/swiglu.cu and kernels/elementwise.cu.</summary>
internal sealed class ElementwiseLauncher(KernelLauncher launcher)
{
    public void SwiGlu(Tensor gate, Tensor up, Tensor output)
    {
        var g = launcher.F32(gate, "swiglu gate");
        var u = launcher.F32(up, "swiglu up");
        var y = launcher.F32(output, "swiglu output");
        if (gate.ElementCount != up.ElementCount || gate.ElementCount != output.ElementCount)
            throw new ArgumentException($"swiglu shapes disagree: gate {gate.Shape}, up {up.Shape}, output {output.Shape}");
        if (gate.ElementCount == 0) return;
        var args = new KernelArguments().Add(g).Add(u).Add(y).Add(gate.ElementCount);
        launcher.Launch("swiglu.cu", "clara_swiglu", LaunchShapes.Elementwise(gate.ElementCount, launcher.Multiprocessors), args);
    }

    public void Add(Tensor a, Tensor b, Tensor output)
    {
        var x = launcher.F32(a, "add a");
        var z = launcher.F32(b, "add b");
        var y = launcher.F32(output, "add output");
        if (a.ElementCount != b.ElementCount || a.ElementCount != output.ElementCount)
            throw new ArgumentException($"add shapes disagree: {a.Shape} + {b.Shape} -> {output.Shape}");
        if (a.ElementCount == 0) return;
        var args = new KernelArguments().Add(x).Add(z).Add(y).Add(a.ElementCount);
        launcher.Launch("elementwise.cu", "clara_add", LaunchShapes.Elementwise(a.ElementCount, launcher.Multiprocessors), args);
    }
}
