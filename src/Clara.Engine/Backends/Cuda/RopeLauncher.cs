using System.Runtime.InteropServices;
using Clara.Engine.Backends.Cpu;
using Clara.Engine.Backends.Ops;
using Clara.Engine.Native.Cuda;

namespace Clara.Engine.Backends.Cuda;

/// <summary>
/// Launches kernels/rope.cu. The inverse frequencies are computed on the host by the same code as the
/// CPU backend's (HF's fp32 formula) and kept on the device per (head dim, theta): a device powf may
/// differ from the host's by an ulp, which at position 4000 would already turn the angle by 1e-4.
/// </summary>
internal sealed class RopeLauncher(KernelLauncher launcher, CudaContext context) : IDisposable
{
    private const int Threads = 128;
    private readonly Dictionary<(int HeadDim, float Theta), DeviceMemory> _frequencies = [];
    private readonly Lock _lock = new();

    public void Forward(Tensor input, Tensor positions, int headDim, float theta, Tensor output)
    {
        var (rows, width) = RopeRules.Check(input, positions, headDim, output);
        var x = launcher.F32(input, "rope input");
        var y = launcher.F32(output, "rope output");
        var p = launcher.I32(positions, "rope positions");
        if (rows == 0) return;

        var args = new KernelArguments().Add(x).Add(p).Add(InverseFrequencies(headDim, theta)).Add(y).Add(width / headDim).Add(headDim);
        launcher.Launch("rope.cu", "clara_rope", LaunchShapes.PerRow(rows, Threads), args);
    }

    public void Backward(Tensor gradOutput, Tensor positions, int headDim, float theta, Tensor gradInput)
    {
        var shape = RopeBackwardRules.Check(gradOutput, positions, headDim, theta, gradInput);
        var args = new KernelArguments().Add(launcher.F32(gradOutput, "rope-backward gradOutput")).Add(launcher.I32(positions, "rope-backward positions"))
            .Add(InverseFrequencies(headDim, theta)).Add(launcher.F32(gradInput, "rope-backward gradInput")).Add(shape.Heads).Add(headDim);
        if (shape.Rows == 0) return;
        launcher.Launch("rope.cu", "clara_rope_backward", LaunchShapes.PerRow(shape.Rows, Threads), args);
    }

    private DevicePointer InverseFrequencies(int headDim, float theta)
    {
        lock (_lock)
        {
            if (_frequencies.TryGetValue((headDim, theta), out var memory)) return memory.Pointer;
            var values = new float[headDim / 2];
            CpuRope.InverseFrequencies(headDim, theta, values);
            memory = context.Allocate(values.Length * sizeof(float));
            launcher.Stream.CopyToDevice(MemoryMarshal.AsBytes(values.AsSpan()), memory.Pointer);
            _frequencies.Add((headDim, theta), memory);
            return memory.Pointer;
        }
    }

    public void Dispose()
    {
        lock (_lock)
        {
            foreach (var memory in _frequencies.Values) memory.Dispose();
            _frequencies.Clear();
        }
    }
}
