using Clara.Engine.Backends.Ops;
using Clara.Engine.Native.Cublas;
using Clara.Engine.Native.Cuda;
using Clara.Engine.Tensors;

namespace Clara.Engine.Backends.Cuda;

/// <summary>
/// The matrix products, through cublasGemmEx with fp32 compute: <see cref="IKernels.MatMul"/> and <see cref="IKernels.Gemm"/>
/// (MatMul is Gemm(input, false, weight, true)).
/// cuBLAS is column-major and a row-major matrix X [r, c] is the column-major Xᵀ [c, r] with leading dimension c, so the
/// row-major output[M, N] = op(a) · op(b) is computed as its transpose, outputᵀ[N, M] = op(b)ᵀ · op(a)ᵀ: cuBLAS's first
/// operand is b, its second is a, m = N, n = M, ldc = N. An untransposed b [K, N] seen column-major is already op(b)ᵀ
/// (no transpose, ld N); a transposed b, stored [N, K], is seen as [K, N] and must be transposed (ld K). Likewise a
/// [M, K] is already op(a)ᵀ (ld K), a transposed a, stored [K, M], is transposed (ld M).
/// cuBLAS needs both operands of one type: with a 16-bit b either b is widened to fp32 or a is rounded to b's type, in
/// a scratch buffer (see <see cref="CudaMatMulPrecision"/>).
/// </summary>
internal sealed class CublasMatMul(KernelLauncher launcher, CublasHandle blas, CudaContext context) : IDisposable
{
    private readonly DeviceScratch _scratch = new(context, launcher.Stream);
    private readonly CastLauncher _cast = new(launcher);

    public void Forward(Tensor input, Tensor weight, Tensor output, float alpha, float beta, CudaMatMulPrecision precision)
    {
        var (rows, n, k) = MatMulRules.Check(input, weight, output);
        if (weight.DType == DType.Q8_0)
            throw new NotSupportedException($"matmul weight {weight.Shape} is Q8_0: cuBLAS has no such type (CudaKernels sends it to q8_gemv.cu)");
        int m = CudaTensor.IntCount(rows, "matmul input rows");
        var x = launcher.F32(input, "matmul input");
        var y = launcher.F32(output, "matmul output");
        var w = launcher.Any(weight, "matmul weight");
        Product(x, input.ElementCount, false, w, weight, true, y, new GemmShape(m, n, k), alpha, beta, precision);
    }

    public void Gemm(Tensor a, bool transposeA, Tensor b, bool transposeB, Tensor output, float alpha, float beta, CudaMatMulPrecision precision)
    {
        var shape = GemmRules.Check(a, transposeA, b, transposeB, output);
        var pa = launcher.F32(a, "gemm a");
        var pb = launcher.Any(b, "gemm b");
        var pc = launcher.F32(output, "gemm output");
        Product(pa, a.ElementCount, transposeA, pb, b, transposeB, pc, shape, alpha, beta, precision);
    }

    private void Product(DevicePointer a, long aCount, bool transposeA, DevicePointer b, Tensor bTensor, bool transposeB, DevicePointer output,
        GemmShape shape, float alpha, float beta, CudaMatMulPrecision precision)
    {
        var (m, n, k) = (shape.M, shape.N, shape.K);
        if (m == 0 || n == 0) return;
        // cuBLAS wants every leading dimension ≥ 1 even when K = 0 (then the product is beta · output).
        var opB = transposeB ? CublasOperation.Transpose : CublasOperation.None;
        var opA = transposeA ? CublasOperation.Transpose : CublasOperation.None;
        int ldb = Math.Max(1, transposeB ? k : n);
        int lda = Math.Max(1, transposeA ? m : k);
        int ldc = n;

        if (bTensor.DType == DType.F32)
        {
            blas.GemmEx(opB, opA, n, m, k, alpha, b, CudaDataType.R32F, ldb, a, CudaDataType.R32F, lda, beta, output, CudaDataType.R32F, ldc);
        }
        else if (precision == CudaMatMulPrecision.Fp32)
        {
            var wide = _scratch.Get(bTensor.ElementCount * sizeof(float));
            _cast.Run(b, bTensor.DType, wide, DType.F32, bTensor.ElementCount);
            blas.GemmEx(opB, opA, n, m, k, alpha, wide, CudaDataType.R32F, ldb, a, CudaDataType.R32F, lda, beta, output, CudaDataType.R32F, ldc);
        }
        else
        {
            var narrow = _scratch.Get(aCount * 2);
            _cast.Run(a, DType.F32, narrow, bTensor.DType, aCount);
            var type = bTensor.DType == DType.BF16 ? CudaDataType.R16BF : CudaDataType.R16F;
            blas.GemmEx(opB, opA, n, m, k, alpha, b, type, ldb, narrow, type, lda, beta, output, CudaDataType.R32F, ldc);
        }
    }

    public void Dispose() => _scratch.Dispose();
}
