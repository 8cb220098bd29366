using Clara.Engine.Backends.Ops;
using Clara.Engine.Native.Cublas;
using Clara.Engine.Native.Cuda;
using Clara.Engine.Tensors;

namespace Clara.Engine.Backends.Cuda;

/// <summary>
/// output[m, N] = alpha · input[m, K] · weight[N, K]ᵀ + beta · output through cublasGemmEx, fp32 compute.
/// cuBLAS is column-major, so the row-major product is computed as its transpose,
/// outputᵀ[N, m] = weight[N, K] · inputᵀ[K, m]: A = weight seen column-major as [K, N] and transposed,
/// B = input seen column-major as [K, m], C = output seen column-major as [N, m].
/// cuBLAS needs A and B of one type: with 16-bit weights either the weight is widened to fp32 or the
/// input is rounded to the weight's type, in a scratch buffer (see <see cref="CudaMatMulPrecision"/>).
/// </summary>
internal sealed class CublasMatMul(KernelLauncher launcher, CublasHandle blas, CudaContext context) : IDisposable
{
    private readonly DeviceScratch _scratch = new(context, launcher.Stream);
    private readonly CastLauncher _cast = new(launcher);

    public void Forward(Tensor input, Tensor weight, Tensor output, float alpha, float beta, CudaMatMulPrecision precision)
    {
        var (rows, n, k) = MatMulRules.Check(input, weight, output);
        int m = CudaTensor.IntCount(rows, "matmul input rows");
        var x = launcher.F32(input, "matmul input");
        var y = launcher.F32(output, "matmul output");
        var w = launcher.Any(weight, "matmul weight");
        if (m == 0 || n == 0) return;

        if (weight.DType == DType.F32)
        {
            Gemm(w, x, CudaDataType.R32F, y, m, n, k, alpha, beta);
        }
        else if (precision == CudaMatMulPrecision.Fp32)
        {
            var wide = _scratch.Get(weight.ElementCount * sizeof(float));
            _cast.Run(w, weight.DType, wide, DType.F32, weight.ElementCount);
            Gemm(wide, x, CudaDataType.R32F, y, m, n, k, alpha, beta);
        }
        else
        {
            var narrow = _scratch.Get(input.ElementCount * 2);
            _cast.Run(x, DType.F32, narrow, weight.DType, input.ElementCount);
            var type = weight.DType == DType.BF16 ? CudaDataType.R16BF : CudaDataType.R16F;
            Gemm(w, narrow, type, y, m, n, k, alpha, beta, type);
        }
    }

    private void Gemm(DevicePointer weight, DevicePointer input, CudaDataType inputType, DevicePointer output,
        int m, int n, int k, float alpha, float beta, CudaDataType weightType = CudaDataType.R32F) =>
        blas.GemmEx(CublasOperation.Transpose, CublasOperation.None, n, m, k, alpha,
            weight, weightType, k, input, inputType, k, beta, output, CudaDataType.R32F, n);

    public void Dispose() => _scratch.Dispose();
}
