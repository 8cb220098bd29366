#!/usr/bin/env bash
# Reruns the CPU kernel suites with the .NET runtime held to a narrower SIMD width, so every width the kernels
# dispatch to (SimdDispatch: 512, 256, 128 bits, or 128 emulated) is tested on one machine. Uses the Release build
# the last `dotnet test -c Release` made (tools/test.sh runs this after its main run and counts the results).
#   tools/simd-width-runs.sh --settings          the settings that mean something on this machine, one a line
#   tools/simd-width-runs.sh SETTING RESULTS_DIR one rerun; a TRX file lands in RESULTS_DIR; exit status of dotnet test
set -uo pipefail
cd "$(dirname "$0")/.."

# Everything CPU that multiplies: the kernel suites (matmul, attention, rope, gradients), the model oracles and every
# training stage's gradients against autograd (held to 1e-5 at every width, not only the machine's widest).
cpu_suites='FullyQualifiedName~Clara.Engine.Tests.Kernels|FullyQualifiedName~CpuDecoderOracleTests|FullyQualifiedName~CpuClaraOracleTests|FullyQualifiedName~CpuStageGradientOracleTests'
# With no vector hardware every vector op is emulated (several times slower): only the products and one model.
emulated_suites='FullyQualifiedName~SimdWidthTests|FullyQualifiedName~FloatTransposeTests|FullyQualifiedName~CpuGemvTests|FullyQualifiedName~CpuQ8GemvTests|FullyQualifiedName~CpuGemmTests|FullyQualifiedName~CpuMatMulRopeTests|FullyQualifiedName~CpuAttentionTests|FullyQualifiedName~CpuSequenceAttentionTests|FullyQualifiedName~CpuDecoderOracleTests'

if [ "${1:-}" = --settings ]; then
  if [ "$(uname -m)" = x86_64 ]; then
    # Without AVX-512 hardware the main run already was the 256-bit one.
    grep -qw avx512f /proc/cpuinfo && echo no-avx512
    echo no-avx2
  fi
  echo no-simd
  exit 0
fi

setting=${1:?usage: tools/simd-width-runs.sh --settings | SETTING RESULTS_DIR}
out=${2:?usage: tools/simd-width-runs.sh SETTING RESULTS_DIR}
# CLARA_EXPECT_SIMD_WIDTH: SimdWidthTests fails unless the kernels really run at that width under the setting.
case "$setting" in
  # .NET 10 names the AVX-512 switch EnableAVX512 (the .NET 8 name, EnableAVX512F, is ignored: the run stayed 512-bit).
  no-avx512) vars=(DOTNET_EnableAVX512=0 "CLARA_EXPECT_SIMD_WIDTH=256-bit"); filter=$cpu_suites ;;
  no-avx2) vars=(DOTNET_EnableAVX2=0 "CLARA_EXPECT_SIMD_WIDTH=128-bit (Vector128 accelerated"); filter=$cpu_suites ;;
  no-simd) vars=(DOTNET_EnableHWIntrinsic=0 "CLARA_EXPECT_SIMD_WIDTH=128-bit (emulated"); filter=$emulated_suites ;;
  *) echo "simd-width-runs.sh: unknown setting '$setting' (no-avx512, no-avx2, no-simd)" >&2; exit 2 ;;
esac

echo "simd-width-runs.sh: CPU kernel suites with ${vars[0]}"
env "${vars[@]}" dotnet test tests/Clara.Engine.Tests -c Release --no-build --filter "$filter" \
  --logger "trx;LogFileName=simd.trx" --results-directory "$out"
status=$?
width=$(grep -o 'CPU kernels: [^<&]*' "$out"/*.trx 2>/dev/null | head -n 1)
echo "simd-width-runs.sh: ${vars[0]}: ${width:-no width reported}"
exit "$status"
