using Clara.Engine.Native.Cuda;

namespace Clara.Engine.Backends.Cuda;

/// <summary>
/// What every family launcher needs: the backend (to check operands), the stream the work is queued on,
/// the compiled kernel files, the fault word and the GPU's size. A launch with dynamic shared memory is
/// budgeted first (<see cref="SharedMemoryBudget"/>): over the function's current limit it opts in, up to
/// the device's per-block limit; beyond that it is refused naming the kernel, before the driver sees it.
/// </summary>
internal sealed class KernelLauncher(CudaBackend backend, CudaStream stream, KernelModules modules, CudaFaultFlags faults, int multiprocessors,
    int sharedMemoryOptInPerBlock)
{
    private readonly Dictionary<CudaFunction, SharedMemoryLimits> _sharedMemory = [];
    private readonly Lock _sharedMemoryLock = new();

    public CudaBackend Backend { get; } = backend;
    public CudaStream Stream { get; } = stream;
    public DevicePointer Faults => faults.Pointer;
    public int Multiprocessors { get; } = multiprocessors;

    /// <summary>The device's shared memory per block after opting in (CU_DEVICE_ATTRIBUTE_MAX_SHARED_MEMORY_PER_BLOCK_OPTIN).</summary>
    public int SharedMemoryOptInPerBlock { get; } = sharedMemoryOptInPerBlock;

    public void Launch(string fileName, string entryPoint, LaunchShape shape, in KernelArguments arguments)
    {
        KernelEntryPoints.Require(fileName, entryPoint);
        var function = modules.Function(fileName, entryPoint);
        if (shape.SharedBytes > 0) PrepareSharedMemory(function, shape.SharedBytes);
        Stream.Launch(function, shape, arguments);
    }

    /// <summary>The shared memory limits of kernels/<paramref name="fileName"/>'s <paramref name="entryPoint"/> on this device (compiles it on first use).</summary>
    public SharedMemoryLimits SharedMemory(string fileName, string entryPoint)
    {
        KernelEntryPoints.Require(fileName, entryPoint);
        return SharedMemory(modules.Function(fileName, entryPoint));
    }

    private SharedMemoryLimits SharedMemory(CudaFunction function)
    {
        lock (_sharedMemoryLock)
        {
            if (_sharedMemory.TryGetValue(function, out var limits)) return limits;
            limits = new SharedMemoryLimits(function.GetAttribute(CudaFunctionAttribute.SharedSizeBytes),
                function.GetAttribute(CudaFunctionAttribute.MaxDynamicSharedSizeBytes), SharedMemoryOptInPerBlock);
            _sharedMemory.Add(function, limits);
            return limits;
        }
    }

    /// <summary>Raises the function's dynamic shared memory limit when <paramref name="dynamicBytes"/> needs it; throws when the device cannot give it.</summary>
    private void PrepareSharedMemory(CudaFunction function, int dynamicBytes)
    {
        var limits = SharedMemory(function);
        if (SharedMemoryBudget.Plan(function.Name, dynamicBytes, limits) != SharedMemoryStep.OptIn) return;
        lock (_sharedMemoryLock)
        {
            function.SetMaxDynamicSharedMemory(dynamicBytes);
            _sharedMemory[function] = limits with { MaxDynamicBytes = function.GetAttribute(CudaFunctionAttribute.MaxDynamicSharedSizeBytes) };
        }
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
