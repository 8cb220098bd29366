using Clara.Engine.Native.Cuda;

namespace Clara.Engine.Native.Cublas;

/// <summary>
/// A cuBLAS handle bound to one context and stream. cuBLAS runs on the CUDA runtime, which shares the
/// device's primary context with us, so the handle is created and used with that context current.
/// </summary>
public sealed unsafe class CublasHandle : ContextBoundHandle
{
    private readonly CublasApi _api;

    private CublasHandle(CudaContext context, CublasApi api, nint handle) : base(context, handle) => _api = api;

    public static CublasHandle Create(CudaContext context, CudaStream stream)
    {
        var api = CublasLibrary.Api;
        nint raw;
        using (context.Enter())
            Check(api.cublasCreate_v2(&raw), "cublasCreate_v2");
        var handle = new CublasHandle(context, api, raw);
        try
        {
            using (context.Enter())
            {
                Check(api.cublasSetStream_v2(raw, stream.RawHandle), "cublasSetStream_v2");
                // Keep fp32 reductions in fp32 even for 16-bit inputs: the engine promises fp32 accumulation.
                Check(api.cublasSetMathMode(raw, CublasMath.DisallowReducedPrecisionReduction), "cublasSetMathMode");
            }
            return handle;
        }
        catch
        {
            handle.Dispose();
            throw;
        }
    }

    /// <summary>cublasGetVersion: e.g. 130000 for 13.0.0.</summary>
    public int Version
    {
        get
        {
            int version;
            Check(_api.cublasGetVersion_v2(handle, &version), "cublasGetVersion_v2");
            return version;
        }
    }

    /// <summary>
    /// C = alpha·op(A)·op(B) + beta·C in cuBLAS's column-major convention, fp32 compute and scale.
    /// </summary>
    public void GemmEx(CublasOperation transA, CublasOperation transB, int m, int n, int k, float alpha,
        DevicePointer a, CudaDataType aType, int lda, DevicePointer b, CudaDataType bType, int ldb,
        float beta, DevicePointer c, CudaDataType cType, int ldc)
    {
        ObjectDisposedException.ThrowIf(IsClosed, this);
        Context.ThrowIfFaulted("cublasGemmEx");
        using var scope = Context.Enter();
        Check(_api.cublasGemmEx(handle, transA, transB, m, n, k, &alpha,
            (void*)a.Address, aType, lda, (void*)b.Address, bType, ldb, &beta,
            (void*)c.Address, cType, ldc, CublasComputeType.Compute32F, CublasGemmAlgorithm.Default),
            "cublasGemmEx", $"m={m} n={n} k={k} A {aType} lda={lda} B {bType} ldb={ldb} C {cType} ldc={ldc}");
    }

    /// <summary>Strided-batched <see cref="GemmEx"/>: batch i uses A + i·strideA etc. (strides in elements).</summary>
    public void GemmStridedBatchedEx(CublasOperation transA, CublasOperation transB, int m, int n, int k, float alpha,
        DevicePointer a, CudaDataType aType, int lda, long strideA, DevicePointer b, CudaDataType bType, int ldb, long strideB,
        float beta, DevicePointer c, CudaDataType cType, int ldc, long strideC, int batchCount)
    {
        ObjectDisposedException.ThrowIf(IsClosed, this);
        Context.ThrowIfFaulted("cublasGemmStridedBatchedEx");
        using var scope = Context.Enter();
        Check(_api.cublasGemmStridedBatchedEx(handle, transA, transB, m, n, k, &alpha,
            (void*)a.Address, aType, lda, strideA, (void*)b.Address, bType, ldb, strideB, &beta,
            (void*)c.Address, cType, ldc, strideC, batchCount, CublasComputeType.Compute32F, CublasGemmAlgorithm.Default),
            "cublasGemmStridedBatchedEx", $"m={m} n={n} k={k} batch={batchCount}");
    }

    private static void Check(CublasStatus status, string call, string detail = "")
    {
        if (status != CublasStatus.Success) throw new CublasException(call, status, detail);
    }

    private protected override Cuda.CuResult Free(CudaDriverApi api, nint value) =>
        _api.cublasDestroy_v2(value) == CublasStatus.Success ? Cuda.CuResult.Success : Cuda.CuResult.Unknown;
}
