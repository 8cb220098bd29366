using Clara.Engine.Backends;
using Clara.Engine.Backends.Cpu;
using NUnit.Framework;

namespace Clara.Engine.Tests.Kernels.Grad;

// The training-op suites on the CPU backend (the reference twins).
[TestFixture] public sealed class CpuGemmTests : GemmSuite { protected override IBackend CreateBackend() => new CpuBackend(); }
[TestFixture] public sealed class CpuVectorOpsTests : VectorOpsSuite { protected override IBackend CreateBackend() => new CpuBackend(); }
[TestFixture] public sealed class CpuScatterAddRowsTests : ScatterAddRowsSuite { protected override IBackend CreateBackend() => new CpuBackend(); }
[TestFixture] public sealed class CpuSwiGluBackwardTests : SwiGluBackwardSuite { protected override IBackend CreateBackend() => new CpuBackend(); }
[TestFixture] public sealed class CpuRmsNormBackwardTests : RmsNormBackwardSuite { protected override IBackend CreateBackend() => new CpuBackend(); }
[TestFixture] public sealed class CpuRopeBackwardTests : RopeBackwardSuite { protected override IBackend CreateBackend() => new CpuBackend(); }
[TestFixture] public sealed class CpuCrossEntropyTests : CrossEntropySuite { protected override IBackend CreateBackend() => new CpuBackend(); }
[TestFixture] public sealed class CpuAlignmentLossTests : AlignmentLossSuite { protected override IBackend CreateBackend() => new CpuBackend(); }
[TestFixture] public sealed class CpuCosineBackwardTests : CosineBackwardSuite { protected override IBackend CreateBackend() => new CpuBackend(); }
[TestFixture] public sealed class CpuTopKTests : TopKSuite { protected override IBackend CreateBackend() => new CpuBackend(); }
[TestFixture] public sealed class CpuAdamWTests : AdamWSuite { protected override IBackend CreateBackend() => new CpuBackend(); }
[TestFixture] public sealed class CpuSequenceAttentionTests : SequenceAttentionSuite { protected override IBackend CreateBackend() => new CpuBackend(); }
