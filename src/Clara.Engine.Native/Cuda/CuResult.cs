namespace Clara.Engine.Native.Cuda;

/// <summary>
/// CUresult, the status every driver call returns. Only the codes the engine reasons about are named;
/// the driver's own cuGetErrorName supplies the name of any other.
/// </summary>
public enum CuResult
{
    Success = 0,
    InvalidValue = 1,
    OutOfMemory = 2,
    NotInitialized = 3,
    Deinitialized = 4,
    NoDevice = 100,
    InvalidDevice = 101,
    InvalidImage = 200,
    InvalidContext = 201,
    NoBinaryForGpu = 209,
    Contained = 226,
    InvalidPtx = 218,
    UnsupportedPtxVersion = 222,
    InvalidSource = 300,
    NotFound = 500,
    NotReady = 600,
    IllegalAddress = 700,
    LaunchOutOfResources = 701,
    LaunchTimeout = 702,
    Assert = 710,
    HardwareStackError = 714,
    IllegalInstruction = 715,
    MisalignedAddress = 716,
    InvalidAddressSpace = 717,
    InvalidPc = 718,
    LaunchFailed = 719,
    TensorMemoryLeak = 721,
    StreamCaptureUnsupported = 900,
    StreamCaptureInvalidated = 901,
    Unknown = 999,
}

public static class CuResultFacts
{
    /// <summary>
    /// Errors the CUDA documentation (cuda.h 13.0) calls sticky: "the process is left in an inconsistent
    /// state and any further CUDA work will return the same error", so the only recovery is a new process.
    /// That includes a device-side assert (710), an error the GPU's containment caught (226) and tensor
    /// memory left allocated when a kernel exits (721), not only the memory and launch faults.
    /// </summary>
    public static bool IsSticky(this CuResult result) => result is
        CuResult.Contained or CuResult.IllegalAddress or CuResult.LaunchTimeout or CuResult.Assert or
        CuResult.HardwareStackError or CuResult.IllegalInstruction or CuResult.MisalignedAddress or
        CuResult.InvalidAddressSpace or CuResult.InvalidPc or CuResult.LaunchFailed or CuResult.TensorMemoryLeak;

    /// <summary>"CUDA_ERROR_ILLEGAL_ADDRESS"-style name for the codes named above, used when the driver cannot be asked.</summary>
    public static string FallbackName(this CuResult result) => result switch
    {
        CuResult.Success => "CUDA_SUCCESS",
        CuResult.InvalidValue => "CUDA_ERROR_INVALID_VALUE",
        CuResult.OutOfMemory => "CUDA_ERROR_OUT_OF_MEMORY",
        CuResult.NotInitialized => "CUDA_ERROR_NOT_INITIALIZED",
        CuResult.Deinitialized => "CUDA_ERROR_DEINITIALIZED",
        CuResult.NoDevice => "CUDA_ERROR_NO_DEVICE",
        CuResult.InvalidDevice => "CUDA_ERROR_INVALID_DEVICE",
        CuResult.InvalidImage => "CUDA_ERROR_INVALID_IMAGE",
        CuResult.InvalidContext => "CUDA_ERROR_INVALID_CONTEXT",
        CuResult.NoBinaryForGpu => "CUDA_ERROR_NO_BINARY_FOR_GPU",
        CuResult.Contained => "CUDA_ERROR_CONTAINED",
        CuResult.InvalidPtx => "CUDA_ERROR_INVALID_PTX",
        CuResult.UnsupportedPtxVersion => "CUDA_ERROR_UNSUPPORTED_PTX_VERSION",
        CuResult.InvalidSource => "CUDA_ERROR_INVALID_SOURCE",
        CuResult.NotFound => "CUDA_ERROR_NOT_FOUND",
        CuResult.NotReady => "CUDA_ERROR_NOT_READY",
        CuResult.IllegalAddress => "CUDA_ERROR_ILLEGAL_ADDRESS",
        CuResult.LaunchOutOfResources => "CUDA_ERROR_LAUNCH_OUT_OF_RESOURCES",
        CuResult.LaunchTimeout => "CUDA_ERROR_LAUNCH_TIMEOUT",
        CuResult.Assert => "CUDA_ERROR_ASSERT",
        CuResult.HardwareStackError => "CUDA_ERROR_HARDWARE_STACK_ERROR",
        CuResult.IllegalInstruction => "CUDA_ERROR_ILLEGAL_INSTRUCTION",
        CuResult.MisalignedAddress => "CUDA_ERROR_MISALIGNED_ADDRESS",
        CuResult.InvalidAddressSpace => "CUDA_ERROR_INVALID_ADDRESS_SPACE",
        CuResult.InvalidPc => "CUDA_ERROR_INVALID_PC",
        CuResult.LaunchFailed => "CUDA_ERROR_LAUNCH_FAILED",
        CuResult.TensorMemoryLeak => "CUDA_ERROR_TENSOR_MEMORY_LEAK",
        CuResult.StreamCaptureUnsupported => "CUDA_ERROR_STREAM_CAPTURE_UNSUPPORTED",
        CuResult.StreamCaptureInvalidated => "CUDA_ERROR_STREAM_CAPTURE_INVALIDATED",
        CuResult.Unknown => "CUDA_ERROR_UNKNOWN",
        _ => "CUDA_ERROR_" + ((int)result).ToString(System.Globalization.CultureInfo.InvariantCulture),
    };
}
