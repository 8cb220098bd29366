using Clara.Engine.Backends;
using Clara.Engine.Backends.Cuda;
using Clara.Engine.Tests.Kernels;
using NUnit.Framework;

namespace Clara.Engine.Tests.Cuda;

/// <summary>Opens the CUDA backend for a suite, or ignores the whole fixture (with the reason) where there is no device; fails it under CLARA_REQUIRE_CUDA=1.</summary>
internal static class CudaSuiteBackend
{
    public static IBackend Create()
    {
        if (!CudaBackend.Probe(out var reason)) CudaRequirement.Missing("no CUDA device", reason);
        return CudaBackend.Create();
    }
}

// The per-family oracle suites (tests/Clara.Engine.Tests/Kernels/KernelOracleSuites.cs) on the CUDA backend.
[TestFixture] public sealed class CudaEmbeddingTests : EmbeddingSuite { protected override IBackend CreateBackend() => CudaSuiteBackend.Create(); }
[TestFixture] public sealed class CudaRmsNormTests : RmsNormSuite { protected override IBackend CreateBackend() => CudaSuiteBackend.Create(); }
[TestFixture] public sealed class CudaMatMulRopeTests : MatMulRopeSuite { protected override IBackend CreateBackend() => CudaSuiteBackend.Create(); }
[TestFixture] public sealed class CudaAttentionTests : AttentionSuite { protected override IBackend CreateBackend() => CudaSuiteBackend.Create(); }
[TestFixture] public sealed class CudaSwiGluTests : SwiGluSuite { protected override IBackend CreateBackend() => CudaSuiteBackend.Create(); }
[TestFixture] public sealed class CudaLogSoftmaxTests : LogSoftmaxSuite { protected override IBackend CreateBackend() => CudaSuiteBackend.Create(); }
[TestFixture] public sealed class CudaCosineRerankTests : CosineRerankSuite { protected override IBackend CreateBackend() => CudaSuiteBackend.Create(); }
[TestFixture] public sealed class CudaRowsTests : RowsSuite { protected override IBackend CreateBackend() => CudaSuiteBackend.Create(); }
[TestFixture] public sealed class CudaOpRulesTests : OpRulesSuite { protected override IBackend CreateBackend() => CudaSuiteBackend.Create(); }
