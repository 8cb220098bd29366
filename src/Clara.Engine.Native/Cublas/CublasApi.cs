using Clara.Engine.Native.Loading;

namespace Clara.Engine.Native.Cublas;

/// <summary>
/// The cuBLAS entry points the engine uses (the _v2 names are what cublas_v2.h maps the plain names to).
/// Matrix pointers are device addresses passed as void*; alpha/beta are host pointers (the default
/// CUBLAS_POINTER_MODE_HOST) to values of the compute type's scale type (float for CUBLAS_COMPUTE_32F).
/// </summary>
internal sealed unsafe class CublasApi
{
    public CublasApi(LoadedLibrary library)
    {
        Library = library;
        var e = library.Exports();
        cublasCreate_v2 = (delegate* unmanaged<nint*, CublasStatus>)e.Require("cublasCreate_v2");
        cublasDestroy_v2 = (delegate* unmanaged<nint, CublasStatus>)e.Require("cublasDestroy_v2");
        cublasGetVersion_v2 = (delegate* unmanaged<nint, int*, CublasStatus>)e.Require("cublasGetVersion_v2");
        cublasSetStream_v2 = (delegate* unmanaged<nint, nint, CublasStatus>)e.Require("cublasSetStream_v2");
        cublasSetMathMode = (delegate* unmanaged<nint, CublasMath, CublasStatus>)e.Require("cublasSetMathMode");
        cublasGemmEx = (delegate* unmanaged<nint, CublasOperation, CublasOperation, int, int, int, void*,
            void*, CudaDataType, int, void*, CudaDataType, int, void*, void*, CudaDataType, int,
            CublasComputeType, CublasGemmAlgorithm, CublasStatus>)e.Require("cublasGemmEx");
        cublasGemmStridedBatchedEx = (delegate* unmanaged<nint, CublasOperation, CublasOperation, int, int, int, void*,
            void*, CudaDataType, int, long, void*, CudaDataType, int, long, void*, void*, CudaDataType, int, long, int,
            CublasComputeType, CublasGemmAlgorithm, CublasStatus>)e.Require("cublasGemmStridedBatchedEx");
        Exports = e.Requested;
        e.ThrowIfAnyMissing();
    }

    public LoadedLibrary Library { get; }
    public IReadOnlyList<string> Exports { get; }

#pragma warning disable IDE1006 // exact C symbol names
    public readonly delegate* unmanaged<nint*, CublasStatus> cublasCreate_v2;
    public readonly delegate* unmanaged<nint, CublasStatus> cublasDestroy_v2;
    public readonly delegate* unmanaged<nint, int*, CublasStatus> cublasGetVersion_v2;
    public readonly delegate* unmanaged<nint, nint, CublasStatus> cublasSetStream_v2;
    public readonly delegate* unmanaged<nint, CublasMath, CublasStatus> cublasSetMathMode;

    // (handle, transa, transb, m, n, k, alpha, A, Atype, lda, B, Btype, ldb, beta, C, Ctype, ldc, computeType, algo)
    public readonly delegate* unmanaged<nint, CublasOperation, CublasOperation, int, int, int, void*,
        void*, CudaDataType, int, void*, CudaDataType, int, void*, void*, CudaDataType, int,
        CublasComputeType, CublasGemmAlgorithm, CublasStatus> cublasGemmEx;

    // (handle, transa, transb, m, n, k, alpha, A, Atype, lda, strideA, B, Btype, ldb, strideB, beta, C, Ctype, ldc, strideC, batchCount, computeType, algo)
    public readonly delegate* unmanaged<nint, CublasOperation, CublasOperation, int, int, int, void*,
        void*, CudaDataType, int, long, void*, CudaDataType, int, long, void*, void*, CudaDataType, int, long, int,
        CublasComputeType, CublasGemmAlgorithm, CublasStatus> cublasGemmStridedBatchedEx;
#pragma warning restore IDE1006
}
