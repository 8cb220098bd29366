using Clara.Engine.Backends.Ops;
using Clara.Engine.Native.Cuda;

namespace Clara.Engine.Backends.Cuda;

/// <summary>Launches kernels/swiglu.cu and kernels/elementwise.cu.</summary>
internal sealed class ElementwiseLauncher(KernelLauncher launcher)
{
    public void SwiGlu(Tensor gate, Tensor up, Tensor output)
    {
        ElementwiseRules.CheckSwiGlu(gate, up, output);
        Binary("swiglu.cu", "clara_swiglu", launcher.F32(gate, "swiglu gate"), launcher.F32(up, "swiglu up"), launcher.F32(output, "swiglu output"), gate.ElementCount);
    }

    public void Add(Tensor a, Tensor b, Tensor output)
    {
        ElementwiseRules.CheckAdd(a, b, output);
        Binary("elementwise.cu", "clara_add", launcher.F32(a, "add a"), launcher.F32(b, "add b"), launcher.F32(output, "add output"), a.ElementCount);
    }

    /// <summary>A grid-stride kernel (x, y, output, count) over <paramref name="count"/> elements.</summary>
    private void Binary(string file, string entryPoint, DevicePointer x, DevicePointer y, DevicePointer output, long count)
    {
        if (count == 0) return;
        var args = new KernelArguments().Add(x).Add(y).Add(output).Add(count);
        launcher.Launch(file, entryPoint, LaunchShapes.Elementwise(count, launcher.Multiprocessors), args);
    }
}
