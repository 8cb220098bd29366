using Clara.Engine.Backends.Ops;
using Clara.Engine.Native.Cuda;

namespace Clara.Engine.Backends.Cuda;

/// <summary>Launches kernels/swiglu.cu (forward and backward) and kernels/elementwise.cu.</summary>
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

    public void SwiGluBackward(Tensor gate, Tensor up, Tensor gradOutput, Tensor gradGate, Tensor gradUp)
    {
        long n = SwiGluBackwardRules.Check(gate, up, gradOutput, gradGate, gradUp);
        var args = new KernelArguments().Add(launcher.F32(gate, "swiglu-backward gate")).Add(launcher.F32(up, "swiglu-backward up"))
            .Add(launcher.F32(gradOutput, "swiglu-backward gradOutput")).Add(launcher.F32(gradGate, "swiglu-backward gradGate"))
            .Add(launcher.F32(gradUp, "swiglu-backward gradUp")).Add(n);
        GridStride("swiglu.cu", "clara_swiglu_backward", n, args);
    }

    public void AddScaled(Tensor a, Tensor b, float alpha, Tensor output)
    {
        long n = AddScaledRules.Check(a, b, output);
        var args = new KernelArguments().Add(launcher.F32(a, "add-scaled a")).Add(launcher.F32(b, "add-scaled b"))
            .Add(launcher.F32(output, "add-scaled output")).Add(n).Add(alpha);
        GridStride("elementwise.cu", "clara_add_scaled", n, args);
    }

    public void Fill(Tensor output, float value)
    {
        long n = FillRules.Check(output);
        GridStride("elementwise.cu", "clara_fill", n, new KernelArguments().Add(launcher.F32(output, "fill output")).Add(n).Add(value));
    }

    private void GridStride(string file, string entryPoint, long count, in KernelArguments args)
    {
        if (count == 0) return;
        launcher.Launch(file, entryPoint, LaunchShapes.Elementwise(count, launcher.Multiprocessors), args);
    }

    /// <summary>A grid-stride kernel (x, y, output, count) over <paramref name="count"/> elements.</summary>
    private void Binary(string file, string entryPoint, DevicePointer x, DevicePointer y, DevicePointer output, long count)
    {
        GridStride(file, entryPoint, count, new KernelArguments().Add(x).Add(y).Add(output).Add(count));
    }
}
