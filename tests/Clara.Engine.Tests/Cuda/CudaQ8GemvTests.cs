using Clara.Engine.Backends;
using Clara.Engine.Tests.Kernels;
using NUnit.Framework;

namespace Clara.Engine.Tests.Cuda;

/// <summary>
/// kernels/q8_gemv.cu against the same PyTorch float64 products as the CPU twin (<see cref="Q8GemvSuite"/>); the whole
/// fixture is ignored with the reason where there is no CUDA device (failed under CLARA_REQUIRE_CUDA=1).
/// </summary>
[TestFixture]
public sealed class CudaQ8GemvTests : Q8GemvSuite
{
    protected override int Threads => 1;
    protected override IBackend CreateBackend() => CudaSuiteBackend.Create();
}
