using Clara.Engine.Backends;
using Clara.Engine.Tests.Models;
using Clara.Engine.Tests.Pipeline;
using NUnit.Framework;

namespace Clara.Engine.Tests.Cuda;

// The whole-model oracle suites (decoder forward, KV-cached decoding, CLaRa compression / rerank / generation)
// on the CUDA backend, with MatMul in its default fp32 precision. Ignored where there is no CUDA device.
[TestFixture] public sealed class CudaDecoderOracleTests : DecoderOracleSuite { protected override IBackend CreateBackend() => CudaSuiteBackend.Create(); }
[TestFixture] public sealed class CudaClaraOracleTests : ClaraOracleSuite { protected override IBackend CreateBackend() => CudaSuiteBackend.Create(); }
