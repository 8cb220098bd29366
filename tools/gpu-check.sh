#!/usr/bin/env bash
# The one-call GPU check (issue 11): everything CUDA judged in one command on a GPU machine that has no .NET SDK.
# Run from the repository root, with the self-contained executables of tools/publish-gpu-check.sh carried along:
#
#   tools/gpu-check.sh [--out DIR] [--bin DIR] [--budget SECONDS] [--steps LIST] [--dry]
#
#   --out DIR       where the summary and the logs go (default: $OUT, the device tool's folder); at most 8 files,
#                   all directly in DIR (what the device tool brings back); scratch work goes to a temporary folder
#   --bin DIR       the published executables (default: publish/gpu-check), plain or xz-compressed (NAME.xz, unpacked
#                   into the scratch folder): clara, and Clara.Engine.Bench and Clara.Engine.Tests when carried
#   --budget S      stop starting steps that would not finish within S seconds of the start (default 450: the
#                   device tool allows 10 minutes a command; the issue asks for 8 at most). Skipped steps are
#                   named in the summary with the reason.
#   --steps LIST    only these steps, comma-separated (default: all; e.g. bench,torch for a second call that
#                   carries only the bench program)
#   --dry           the same script on the CPU (CI runs it): --device cpu everywhere, the CUDA suites without
#                   CLARA_REQUIRE_CUDA (they skip), the framework-dependent Release builds (and `dotnet test` for the
#                   suites) when nothing was published, the benchmarks on the tiny config; default --out is a
#                   temporary folder.
#
# Steps, in order of importance (each is timed and logged; a failed step does not stop the next):
#   environment  GPU, driver, CUDA libraries found on the machine (nvidia-smi, ldconfig, the toolkit folders)
#   selftest     clara selftest --device cuda: baseline timings (copy, matmul, attention), every kernel vs its CPU twin
#   oracle       tools/gpu_check_oracle.py with clara --device cuda: the PyTorch oracle's fixtures through logits,
#                compress, rerank, ask; `clara grad` against autograd for every stage; 4 `clara train` updates against
#                the same on the CPU; the default model's evaluation against the committed CPU one
#   suites       every CUDA test suite (namespace Clara.Engine.Tests.Cuda) with CLARA_REQUIRE_CUDA=1: a skip is a
#                failure; needs the test runner (tools/publish-gpu-check.sh --tests), which travels in a call of its own
#   bench        model workloads at Mistral-7B shape on random bf16 weights (needs Clara.Engine.Bench carried)
#   torch        bench/gpu_peer.py: PyTorch/HF Mistral at the same shape, eager and torch.compile, when python3 has
#                torch with CUDA and transformers
#
# Output (8 files at most, what the device tool brings back): DIR/summary.json (one object: the machine, each step's
# status, exit code, seconds and parsed results, what was skipped and why), DIR/gpu-check.log (this console),
# DIR/<step>.log for selftest, suites, oracle, bench and torch, DIR/suites.trx. Exit 0 when no step failed.
set -uo pipefail
cd "$(dirname "$0")/.."

dry=0; out="${OUT:-}"; bin=""; budget=450; only=environment,selftest,oracle,suites,bench,torch
while [ $# -gt 0 ]; do
  case "$1" in
    --dry) dry=1 ;;
    --out) out="$2"; shift ;;
    --bin) bin="$2"; shift ;;
    --budget) budget="$2"; shift ;;
    --steps) only="environment,$2"; shift ;;
    -h|--help) sed -n '2,30p' "$0"; exit 0 ;;
    *) echo "gpu-check.sh: unknown argument '$1' (see --help)" >&2; exit 2 ;;
  esac
  shift
done
[ -z "$out" ] && { [ "$dry" = 1 ] && out=$(mktemp -d /tmp/gpu-check-dry.XXXXXX) || { echo "gpu-check.sh: give --out DIR (or run where \$OUT is set)" >&2; exit 2; }; }
mkdir -p "$out"
out=$(cd "$out" && pwd)
work=$(mktemp -d /tmp/gpu-check-work.XXXXXX)
trap 'rm -rf "$work"' EXIT
exec > >(tee "$out/gpu-check.log") 2>&1
tee_pid=$!

start=$(date +%s)
device=cuda; [ "$dry" = 1 ] && device=cpu
# One kernel cache for every step: NVRTC compiles each kernel file once per call, not once per process.
export XDG_CACHE_HOME="$work/cache"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 TESTINGPLATFORM_TELEMETRY_OPTOUT=1

# The executables: the published ones, or in a dry run the builds tools/test.sh leaves (framework-dependent).
[ -z "$bin" ] && bin=publish/gpu-check
pick() { # pick NAME FALLBACK...: $bin/NAME, or $bin/NAME.xz unpacked into the scratch folder, or the first executable
  local name=$1; shift  # among the fallbacks (dry runs only)
  [ -x "$bin/$name" ] && { echo "$bin/$name"; return; }
  if [ -f "$bin/$name.xz" ]; then
    mkdir -p "$work/bin"
    # xz where the machine has it, else Python's lzma (the GPU image always has python3).
    if { command -v xz >/dev/null && xz -dc "$bin/$name.xz" > "$work/bin/$name"; } ||
       python3 -c 'import lzma, shutil, sys; shutil.copyfileobj(lzma.open(sys.argv[1]), open(sys.argv[2], "wb"))' \
         "$bin/$name.xz" "$work/bin/$name"; then
      chmod +x "$work/bin/$name"; echo "$work/bin/$name"; return
    fi
    echo "gpu-check.sh: could not unpack $bin/$name.xz" >&2
  fi
  if [ "$dry" = 1 ]; then for f in "$@"; do [ -x "$f" ] && { echo "$f"; return; }; done; fi
  echo ""
}
clara=$(pick clara src/Clara.Cli/bin/Release/net10.0/clara)
tests=$(pick Clara.Engine.Tests)
if [ -z "$tests" ] && [ -f "$bin/Clara.Engine.Tests.tar.xz" ]; then
  # The runner is a folder; it goes inside the checkout (the tests find the repository above their own folder) with
  # the checkout's fixtures linked beside it, where a `dotnet test` build has its copy.
  runner=publish/gpu-check-runner
  rm -rf "$runner" && mkdir -p "$runner"
  if tar -C "$runner" -xJf "$bin/Clara.Engine.Tests.tar.xz" ||
     python3 -c 'import tarfile, sys; tarfile.open(sys.argv[1]).extractall(sys.argv[2])' "$bin/Clara.Engine.Tests.tar.xz" "$runner"; then
    ln -sfn "$PWD/tests/fixtures" "$runner/fixtures"
    tests="$PWD/$runner/Clara.Engine.Tests"
  else
    echo "gpu-check.sh: could not unpack $bin/Clara.Engine.Tests.tar.xz" >&2
  fi
fi
bench=$(pick Clara.Engine.Bench bench/Clara.Engine.Bench/bin/Release/net10.0/Clara.Engine.Bench)

steps="$work/steps.tsv"; : > "$steps"
elapsed() { echo $(( $(date +%s) - start )); }
# record STEP STATUS EXIT SECONDS NOTE
record() { printf '%s\t%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "$4" "${5//$'\t'/ }" >> "$steps"; }

# run_step NAME ESTIMATE_SECONDS COMMAND...: runs when the estimate fits what is left of the budget, under a timeout
# of what is left; its output goes to the console and to $out/NAME.log.
wanted() { [[ ",$only," == *",$1,"* ]]; }

run_step() {
  local name=$1 estimate=$2; shift 2
  wanted "$name" || return 0
  local left=$(( budget - $(elapsed) ))
  echo
  echo "=== $name ($(elapsed) s of $budget s used; about $estimate s expected)"
  if [ "$left" -lt "$estimate" ]; then
    echo "skipped: $left s left of the budget, $name needs about $estimate s"
    record "$name" skipped "" 0 "time: $left s left, about $estimate s needed"
    return
  fi
  local t0; t0=$(date +%s)
  # The step is a shell function: timeout runs it in a child bash, which inherits the exported functions and variables.
  # At most 8 files come back from $OUT: the environment's lines live only in gpu-check.log.
  local log="$out/$name.log"; [ "$name" = environment ] && log="$work/$name.log"
  timeout --kill-after=10 "$left" bash -c "$*" 2>&1 | tee "$log"
  local code=${PIPESTATUS[0]}
  local seconds=$(( $(date +%s) - t0 ))
  local status=passed
  if [ "$code" = 124 ] || [ "$code" = 137 ]; then status=timeout; elif [ "$code" != 0 ]; then status=failed; fi
  echo "--- $name: $status (exit $code, $seconds s)"
  record "$name" "$status" "$code" "$seconds" ""
}

missing() { # missing NAME WHAT: a step that cannot run because an input was not carried
  wanted "$1" || return 0
  echo
  echo "=== $1"
  echo "skipped: $2"
  record "$1" skipped "" 0 "$2"
}

environment() {
  echo "mode: $([ "$dry" = 1 ] && echo "dry (CPU)" || echo GPU), device $device, budget $budget s"
  echo "host: $(uname -srm), $(nproc) CPUs"
  echo "clara: ${clara:-not found}; tests: ${tests:-$([ "$dry" = 1 ] && echo "dotnet test on the Release build" || echo "not found")}; bench: ${bench:-not carried}"
  if command -v nvidia-smi >/dev/null 2>&1; then
    nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.max.sm,clocks.max.mem,compute_cap --format=csv || true
  else
    echo "nvidia-smi: not found"
  fi
  echo "CUDA libraries known to the loader (ldconfig -p):"
  (ldconfig -p 2>/dev/null | grep -E 'libcuda\.so|libnvrtc\.so|libcublas\.so|libcublasLt\.so' || echo "  none") | sed 's/^/  /'
  echo "CUDA libraries in the toolkit folders the engine also searches:"
  local found=0
  for d in ${CUDA_HOME:+"$CUDA_HOME/lib64"} /usr/local/cuda/lib64 /usr/local/cuda/targets/x86_64-linux/lib; do
    for f in "$d"/libnvrtc.so* "$d"/libcublas.so*; do [ -e "$f" ] && { echo "  $f"; found=1; }; done
  done
  [ "$found" = 0 ] && echo "  none"
  command -v nvcc >/dev/null 2>&1 && nvcc --version | tail -n 2
  return 0
}

selftest() { "$clara" selftest --device "$device"; }

suites() {
  local filter="FullyQualifiedName~Clara.Engine.Tests.Cuda"
  if [ "$dry" = 1 ]; then
    # The kernel-compilation tests run in every CI test run already; here the device suites only need to skip.
    filter="$filter&FullyQualifiedName!~KernelCompilationTests&FullyQualifiedName!~SharedMemoryBudgetTests"
  else
    export CLARA_REQUIRE_CUDA=1 CLARA_REQUIRE_NVRTC=1
  fi
  local code
  if [ -n "$tests" ]; then
    # NUnit's own runner (Microsoft.Testing.Platform), as published by tools/publish-gpu-check.sh.
    "$tests" --filter "$filter" --results-directory "$work/suites" --report-trx --report-trx-filename suites.trx --no-progress
    code=$?
  else
    # Dry runs without a published runner: the same filter through `dotnet test` on the Release build.
    VSTEST_CONNECTION_TIMEOUT=${VSTEST_CONNECTION_TIMEOUT:-600} \
      dotnet test tests/Clara.Engine.Tests/Clara.Engine.Tests.csproj -c Release --no-build --nologo --filter "$filter" \
      --logger "trx;LogFileName=suites.trx" --results-directory "$work/suites"
    code=$?
  fi
  cp "$(find "$work/suites" -name suites.trx 2>/dev/null | head -n 1)" "$out/suites.trx" 2>/dev/null
  return $code
}

oracle() {
  local extra=()
  # On the CPU the default model's evaluation is the committed one; ten questions check the plumbing.
  [ "$dry" = 1 ] && extra=(--threads 1 --questions 10)
  python3 tools/gpu_check_oracle.py --clara "$clara" --device "$device" --work "$work/oracle" --json "$work/oracle.json" "${extra[@]}"
}

benchmarks() {
  # Mistral-7B shape, bf16 weights, LoRA r = 16, one set of weights: compression of 8 documents x 275 positions,
  # then decode of 32 steps after a 16-token prompt at batch 1 and at batch 16.
  local model=mistral-7b repeat=3 threads=()
  [ "$dry" = 1 ] && { model=tiny; repeat=1; threads=(--threads 1); }
  "$bench" workload --device "$device" --model "$model" --dtype bf16 --repeat "$repeat" "${threads[@]}" \
    --compress 8x275 --decode 1x32,16x32 > "$work/bench.json"
  local code=$?
  cat "$work/bench.json"
  return $code
}

torch_peer() {
  local args=(--model mistral-7b --device cuda --dtype bf16 --compile --json "$work/torch.json")
  [ "$dry" = 1 ] && args=(--model tiny --device cpu --dtype f32 --repeat 1 --decode-steps 4 --batches 1 --lora 0 --json "$work/torch.json")
  python3 bench/gpu_peer.py "${args[@]}"
}

export -f environment selftest suites oracle benchmarks torch_peer
export clara tests bench device dry work out budget

run_step environment 5 environment
if [ -n "$clara" ]; then run_step selftest 120 selftest; else missing selftest "clara not found in $bin (tools/publish-gpu-check.sh)"; fi
if [ -z "$clara" ]; then missing oracle "clara not found in $bin"
elif ! command -v python3 >/dev/null 2>&1; then missing oracle "no python3 on this machine"
else run_step oracle 150 oracle; fi
if [ -n "$tests" ] || { [ "$dry" = 1 ] && command -v dotnet >/dev/null 2>&1; }; then run_step suites 90 suites
else missing suites "Clara.Engine.Tests not found in $bin (tools/publish-gpu-check.sh --tests)"; fi
if [ -n "$bench" ]; then run_step bench 120 benchmarks
else missing bench "Clara.Engine.Bench not carried (tools/publish-gpu-check.sh says whether it fits in the same call)"; fi
peer='import torch, transformers, sys; sys.exit(0 if torch.cuda.is_available() else 1)'
[ "$dry" = 1 ] && peer='import torch, transformers'
if python3 -c "$peer" >/dev/null 2>&1; then run_step torch 150 torch_peer
else missing torch "python3 has no torch$([ "$dry" = 1 ] || echo " with CUDA") and transformers"; fi

echo
python3 tools/gpu_check_summary.py --steps "$steps" --asked "$only" --out "$out" --work "$work" --device "$device" --dry "$dry" --budget "$budget" --seconds "$(elapsed)"
status=$?
echo "gpu-check: $(elapsed) s; summary in $out/summary.json"
exec 1>&- 2>&-
wait "$tee_pid" 2>/dev/null
exit $status
