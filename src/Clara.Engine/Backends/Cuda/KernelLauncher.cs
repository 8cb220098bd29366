using Clara.Engine.Native.Cuda;

namespace Clara.Engine.Backends.Cuda;

/// <summary>
/// What every family launcher needs: the backend (to check operands), the stream the work is queued on,
/// the compiled kernel files, the fault word and the GPU's size.
/// </summary>
internal sealed class KernelLauncher(CudaBackend backend, CudaStream stream, KernelModules modules, CudaFaultFlags faults, int multiprocessors)
{
    public CudaBackend Backend { get; } = backend;
    public CudaStream Stream { get; } = stream;
    public DevicePointer Faults => faults.Pointer;
    public int Multiprocessors { get; } = multiprocessors;

    public void Launch(string fileName, string entryPoint, LaunchShape shape, in KernelArguments arguments)
    {
        KernelEntryPoints.Require(fileName, entryPoint);
        Stream.Launch(modules.Function(fileName, entryPoint), shape, arguments);
    }

    public DevicePointer F32(Tensor tensor, string operand) => CudaTensor.F32(tensor, Backend, operand);
    public DevicePointer I32(Tensor tensor, string operand) => CudaTensor.I32(tensor, Backend, operand);
    public DevicePointer Any(Tensor tensor, string operand) => CudaTensor.Pointer(tensor, Backend, operand);
}

/// <summary>
/// A device buffer that grows to the largest size asked of it (cast inputs of a matmul, reduction
/// partials). Reuse is safe because all work is ordered on the backend's single stream.
/// </summary>
internal sealed class DeviceScratch(CudaContext context, CudaStream stream) : IDisposable
{
    private DeviceMemory? _memory;

    public DevicePointer Get(long bytes)
    {
        if (_memory is null || _memory.ByteLength < bytes)
        {
            if (_memory is not null)
            {
                // Queued work may still read the old buffer; growing is rare, so simply wait for it.
                stream.Synchronize();
                _memory.Dispose();
            }
            _memory = context.Allocate(Math.Max(bytes, 256));
        }
        return _memory.Pointer;
    }

    public void Dispose() => _memory?.Dispose();
}
