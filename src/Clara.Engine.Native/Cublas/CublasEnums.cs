namespace Clara.Engine.Native.Cublas;

/// <summary>cublasStatus_t.</summary>
public enum CublasStatus
{
    Success = 0,
    NotInitialized = 1,
    AllocFailed = 3,
    InvalidValue = 7,
    ArchMismatch = 8,
    MappingError = 11,
    ExecutionFailed = 13,
    InternalError = 14,
    NotSupported = 15,
    LicenseError = 16,
}

/// <summary>cublasOperation_t.</summary>
public enum CublasOperation
{
    None = 0,
    Transpose = 1,
}

/// <summary>cudaDataType_t values for the storage types the engine uses.</summary>
public enum CudaDataType
{
    R32F = 0,
    R16F = 2,
    R16BF = 14,
}

/// <summary>cublasComputeType_t.</summary>
public enum CublasComputeType
{
    /// <summary>fp32 arithmetic; tensor cores with 16-bit inputs, full fp32 for fp32 inputs.</summary>
    Compute32F = 68,

    /// <summary>fp32 arithmetic without any reduced-precision shortcut.</summary>
    Compute32FPedantic = 69,
}

/// <summary>cublasMath_t.</summary>
public enum CublasMath
{
    Default = 0,
    Pedantic = 2,
    DisallowReducedPrecisionReduction = 16,
}

/// <summary>cublasGemmAlgo_t: we always let cuBLAS choose.</summary>
public enum CublasGemmAlgorithm
{
    Default = -1,
}

public static class CublasStatusNames
{
    public static string Name(this CublasStatus status) => status switch
    {
        CublasStatus.Success => "CUBLAS_STATUS_SUCCESS",
        CublasStatus.NotInitialized => "CUBLAS_STATUS_NOT_INITIALIZED",
        CublasStatus.AllocFailed => "CUBLAS_STATUS_ALLOC_FAILED",
        CublasStatus.InvalidValue => "CUBLAS_STATUS_INVALID_VALUE",
        CublasStatus.ArchMismatch => "CUBLAS_STATUS_ARCH_MISMATCH",
        CublasStatus.MappingError => "CUBLAS_STATUS_MAPPING_ERROR",
        CublasStatus.ExecutionFailed => "CUBLAS_STATUS_EXECUTION_FAILED",
        CublasStatus.InternalError => "CUBLAS_STATUS_INTERNAL_ERROR",
        CublasStatus.NotSupported => "CUBLAS_STATUS_NOT_SUPPORTED",
        CublasStatus.LicenseError => "CUBLAS_STATUS_LICENSE_ERROR",
        _ => "CUBLAS_STATUS_" + ((int)status).ToString(System.Globalization.CultureInfo.InvariantCulture),
    };
}

/// <summary>A cuBLAS call failed, e.g. "cublasGemmEx failed: CUBLAS_STATUS_NOT_SUPPORTED (15)".</summary>
public sealed class CublasException(string call, CublasStatus status, string detail = "")
    : Exception($"{call} failed: {status.Name()} ({(int)status}){(detail.Length > 0 ? "; " + detail : "")}")
{
    public string Call { get; } = call;
    public CublasStatus Status { get; } = status;
}
