namespace Clara.Engine.Native.Cuda;

/// <summary>The first sticky error a device's context hit: which call, which code.</summary>
public sealed record DeviceFault(string Call, CuResult Result, string Description);

/// <summary>
/// Whether a device's (primary) context is still usable. Shared by everything that uses the device,
/// because the primary context is one per device and process: once it has seen a sticky error, every
/// later call fails fast with <see cref="CudaDeviceFaultedException"/> instead of reaching the driver.
/// </summary>
internal sealed class DeviceFaultState(int device)
{
    private DeviceFault? _fault;

    public int Device { get; } = device;
    public DeviceFault? Fault => Volatile.Read(ref _fault);
    public bool IsFaulted => Fault is not null;

    public void ThrowIfFaulted(string call)
    {
        var fault = Fault;
        if (fault is not null) throw new CudaDeviceFaultedException(call, Device, fault);
    }

    /// <summary>Records a sticky error (the first one wins) and returns the exception to throw for it.</summary>
    public CudaDeviceFaultedException MarkFaulted(string call, CuResult result, string description)
    {
        Interlocked.CompareExchange(ref _fault, new DeviceFault(call, result, description), null);
        return new CudaDeviceFaultedException(call, Device, Fault!);
    }
}
