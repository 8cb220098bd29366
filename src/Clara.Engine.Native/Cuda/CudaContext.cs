using System.Runtime.InteropServices;

namespace Clara.Engine.Native.Cuda;

/// <summary>
/// A device's primary context, retained for this object's lifetime. It is the context the CUDA
/// runtime (and so cuBLAS) uses too, which is why the engine never creates contexts of its own.
/// Every call that needs the context current pushes it for the call's duration (<see cref="Enter"/>),
/// so callers may use any thread. Errors go through <see cref="Check"/>, which turns sticky errors into
/// a permanent faulted state for the device.
/// </summary>
public sealed unsafe class CudaContext : IDisposable
{
    private readonly PrimaryContextHandle _handle;
    private readonly DeviceFaultState _faults;

    private CudaContext(CudaDevice device, PrimaryContextHandle handle)
    {
        Device = device;
        _handle = handle;
        _faults = device.Driver.FaultStateOf(device.Ordinal);
    }

    public static CudaContext RetainPrimary(CudaDevice device)
    {
        var api = device.Driver.Api;
        nint raw;
        device.Driver.Check(api.cuDevicePrimaryCtxRetain(&raw, device.Handle), "cuDevicePrimaryCtxRetain");
        return new CudaContext(device, new PrimaryContextHandle(api, raw, device.Handle));
    }

    public CudaDevice Device { get; }
    internal CudaDriver Driver => Device.Driver;
    internal PrimaryContextHandle Handle => _handle;

    public bool IsFaulted => _faults.IsFaulted;
    public DeviceFault? Fault => _faults.Fault;

    /// <summary>The bound driver entry points; throws <see cref="CudaDeviceFaultedException"/> once the device has faulted.</summary>
    internal CudaDriverApi Api(string call)
    {
        _faults.ThrowIfFaulted(call);
        return Driver.Api;
    }

    /// <summary>Fails fast with <see cref="CudaDeviceFaultedException"/> for work that reaches the device through another library (cuBLAS).</summary>
    internal void ThrowIfFaulted(string call) => _faults.ThrowIfFaulted(call);

    /// <summary>Throws for a failed call; a sticky error also marks the device faulted for good.</summary>
    internal void Check(CuResult result, string call)
    {
        if (result == CuResult.Success) return;
        string description = Driver.Describe(result);
        if (result.IsSticky()) throw _faults.MarkFaulted(call, result, description);
        throw new CudaException(call, result, description);
    }

    /// <summary>Makes this context current on the calling thread until the scope is disposed.</summary>
    public ContextScope Enter()
    {
        Check(Api("cuCtxPushCurrent_v2").cuCtxPushCurrent_v2(_handle.DangerousGetHandle()), "cuCtxPushCurrent_v2");
        return new ContextScope(this);
    }

    internal void Leave()
    {
        nint popped;
        CuResult result = Driver.Api.cuCtxPopCurrent_v2(&popped);
        // A faulted context may refuse to pop; the scope is ending anyway and the fault was already reported.
        if (!_faults.IsFaulted) Check(result, "cuCtxPopCurrent_v2");
    }

    public DeviceMemory Allocate(long bytes)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(bytes);
        using var scope = Enter();
        ulong address;
        Check(Api("cuMemAlloc_v2").cuMemAlloc_v2(&address, (nuint)bytes), "cuMemAlloc_v2");
        return new DeviceMemory(this, address, bytes);
    }

    /// <summary>Loads a CUBIN or a NUL-terminated PTX image.</summary>
    public CudaModule LoadModule(ReadOnlySpan<byte> image, string name)
    {
        if (image.IsEmpty) throw new ArgumentException($"module {name}: empty image", nameof(image));
        using var scope = Enter();
        nint module;
        fixed (byte* data = image)
            Check(Api("cuModuleLoadData").cuModuleLoadData(&module, data), "cuModuleLoadData");
        return new CudaModule(this, module, name);
    }

    public CudaStream CreateStream()
    {
        using var scope = Enter();
        nint stream;
        // Flags 0: a blocking stream, ordered with the legacy default stream that cuBLAS may fall back to.
        Check(Api("cuStreamCreate").cuStreamCreate(&stream, 0), "cuStreamCreate");
        return new CudaStream(this, stream);
    }

    /// <summary>An event for timing (<paramref name="timing"/>) or, cheaper, for ordering only.</summary>
    public CudaEvent CreateEvent(bool timing)
    {
        using var scope = Enter();
        nint handle;
        const uint disableTiming = 0x2;
        Check(Api("cuEventCreate").cuEventCreate(&handle, timing ? 0u : disableTiming), "cuEventCreate");
        return new CudaEvent(this, handle);
    }

    public (long Free, long Total) MemoryInfo()
    {
        using var scope = Enter();
        nuint free, total;
        Check(Api("cuMemGetInfo_v2").cuMemGetInfo_v2(&free, &total), "cuMemGetInfo_v2");
        return ((long)free, (long)total);
    }

    public void Synchronize()
    {
        using var scope = Enter();
        Check(Api("cuCtxSynchronize").cuCtxSynchronize(), "cuCtxSynchronize");
    }

    public void Dispose() => _handle.Dispose();

    public override string ToString() => $"primary context of {Device}";
}

/// <summary>Pops the context pushed by <see cref="CudaContext.Enter"/>.</summary>
public readonly ref struct ContextScope
{
    private readonly CudaContext _context;
    internal ContextScope(CudaContext context) => _context = context;
    public void Dispose() => _context.Leave();
}

/// <summary>A retained primary context; releasing it lets the driver tear the context down once nobody holds it.</summary>
internal sealed unsafe class PrimaryContextHandle : SafeHandle
{
    private readonly CudaDriverApi _api;
    private readonly int _device;

    public PrimaryContextHandle(CudaDriverApi api, nint context, int device) : base(0, ownsHandle: true)
    {
        _api = api;
        _device = device;
        SetHandle(context);
    }

    public override bool IsInvalid => handle == 0;

    protected override bool ReleaseHandle() => _api.cuDevicePrimaryCtxRelease_v2(_device) == CuResult.Success;
}
