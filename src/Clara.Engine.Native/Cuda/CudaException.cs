namespace Clara.Engine.Native.Cuda;

/// <summary>A CUDA driver call returned an error, e.g. "cuLaunchKernel failed: CUDA_ERROR_ILLEGAL_ADDRESS (700): …".</summary>
public class CudaException : Exception
{
    public CudaException(string call, CuResult result, string description)
        : this(call, result, $"{call} failed: {description}", inner: null) { }

    protected CudaException(string call, CuResult result, string message, Exception? inner)
        : base(message, inner)
    {
        Call = call;
        Result = result;
    }

    /// <summary>The driver function that failed.</summary>
    public string Call { get; }

    public CuResult Result { get; }
}

/// <summary>
/// The device's context hit a sticky error (an illegal address, a failed launch, …). The driver keeps
/// returning that error for every later call in this process, so nothing can be retried: the process
/// must be restarted.
/// </summary>
public sealed class CudaDeviceFaultedException : CudaException
{
    internal CudaDeviceFaultedException(string call, int device, DeviceFault fault)
        : base(call, fault.Result, Describe(call, device, fault), inner: null)
    {
        Device = device;
        Fault = fault;
    }

    public int Device { get; }

    /// <summary>The first sticky error on this device.</summary>
    public DeviceFault Fault { get; }

    private static string Describe(string call, int device, DeviceFault fault) =>
        call == fault.Call
            ? $"{fault.Call} failed: {fault.Description}. CUDA device {device} is now faulted: its context cannot recover from this error, a process restart is required"
            : $"{call} refused: CUDA device {device} faulted earlier ({fault.Call} failed: {fault.Description}); its context cannot recover, a process restart is required";
}
