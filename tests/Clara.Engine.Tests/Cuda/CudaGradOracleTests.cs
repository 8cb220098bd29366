using Clara.Engine.Backends;
using Clara.Engine.Tests.Kernels.Grad;
using NUnit.Framework;

namespace Clara.Engine.Tests.Cuda;

// The training-op suites (tests/Clara.Engine.Tests/Kernels/Grad) on the CUDA backend: the same PyTorch fixtures and
// tolerances as the CPU twins. They skip, saying why, where there is no device.
[TestFixture] public sealed class CudaGemmTests : GemmSuite { protected override IBackend CreateBackend() => CudaSuiteBackend.Create(); }
[TestFixture] public sealed class CudaVectorOpsTests : VectorOpsSuite { protected override IBackend CreateBackend() => CudaSuiteBackend.Create(); }
[TestFixture] public sealed class CudaScatterAddRowsTests : ScatterAddRowsSuite { protected override IBackend CreateBackend() => CudaSuiteBackend.Create(); }
[TestFixture] public sealed class CudaSwiGluBackwardTests : SwiGluBackwardSuite { protected override IBackend CreateBackend() => CudaSuiteBackend.Create(); }
[TestFixture] public sealed class CudaRmsNormBackwardTests : RmsNormBackwardSuite { protected override IBackend CreateBackend() => CudaSuiteBackend.Create(); }
[TestFixture] public sealed class CudaRopeBackwardTests : RopeBackwardSuite { protected override IBackend CreateBackend() => CudaSuiteBackend.Create(); }
[TestFixture] public sealed class CudaSequenceAttentionTests : SequenceAttentionSuite { protected override IBackend CreateBackend() => CudaSuiteBackend.Create(); }
[TestFixture] public sealed class CudaCrossEntropyTests : CrossEntropySuite { protected override IBackend CreateBackend() => CudaSuiteBackend.Create(); }
[TestFixture] public sealed class CudaAlignmentLossTests : AlignmentLossSuite { protected override IBackend CreateBackend() => CudaSuiteBackend.Create(); }
[TestFixture] public sealed class CudaCosineBackwardTests : CosineBackwardSuite { protected override IBackend CreateBackend() => CudaSuiteBackend.Create(); }
[TestFixture] public sealed class CudaTopKTests : TopKSuite { protected override IBackend CreateBackend() => CudaSuiteBackend.Create(); }
[TestFixture] public sealed class CudaAdamWTests : AdamWSuite { protected override IBackend CreateBackend() => CudaSuiteBackend.Create(); }
