#!/usr/bin/env bash
# Runs the whole test suite and ends with one line "N passed, N failed, N skipped".
# Needs the packages of tools/setup-machine.sh (NVRTC, PyTorch is only for regenerating fixtures,
# PostgreSQL); run that first on a fresh machine (as root).
set -uo pipefail
cd "$(dirname "$0")/.."

# The shared document store is tested against a real PostgreSQL server on a loopback port.
if [ -z "${CLARA_TEST_POSTGRES:-}" ]; then
  if conn=$(tools/start-test-postgres.sh); then
    export CLARA_TEST_POSTGRES="$conn"
  else
    echo "test.sh: could not start PostgreSQL; its store tests will be skipped (run tools/setup-machine.sh as root)" >&2
  fi
fi

results=$(mktemp -d)
trap 'rm -rf "$results"' EXIT
dotnet test Clara.Engine.sln -c Release --logger "trx;LogFileName=results.trx" --results-directory "$results" "$@" 2>&1 | tee "$results/console.log"
status=${PIPESTATUS[0]}

# The TRX counters are the authoritative numbers; the console line is a fallback when the run died early.
# count_trx DIR sets passed, failed, skipped from the first TRX file under DIR (one failure when there is none).
count_trx() {
  local trx counters total executed errors
  trx=$(find "$1" -name '*.trx' | head -n 1)
  if [ -z "$trx" ]; then passed=0; failed=1; skipped=0; return; fi
  counters=$(grep -o '<Counters [^>]*>' "$trx" | head -n 1)
  get() { echo "$counters" | grep -o " $1=\"[0-9]*\"" | grep -o '[0-9]*'; }
  passed=$(get passed); failed=$(get failed); total=$(get total); executed=$(get executed)
  errors=$(get error)
  skipped=$(( ${total:-0} - ${executed:-0} ))
  failed=$(( ${failed:-0} + ${errors:-0} ))
  passed=${passed:-0}
}
count_trx "$results"
if [ "$status" -ne 0 ] && [ "${failed:-0}" -eq 0 ]; then failed=1; fi   # build break or crash: never report green

# The CPU kernel suites again at each narrower SIMD width (tools/simd-width-runs.sh), counted in the final line;
# not after a failed run, nor after a run narrowed by arguments (a --filter of someone's own).
if [ "${CLARA_SIMD_WIDTH_RUNS:-1}" = 1 ] && [ "$status" -eq 0 ] && [ $# -eq 0 ]; then
  main=($passed $failed $skipped)
  for setting in $(tools/simd-width-runs.sh --settings); do
    if ! tools/simd-width-runs.sh "$setting" "$results/simd-$setting"; then [ "$status" -eq 0 ] && status=1; fi
    count_trx "$results/simd-$setting"
    main=($(( main[0] + passed )) $(( main[1] + failed )) $(( main[2] + skipped )))
  done
  passed=${main[0]}; failed=${main[1]}; skipped=${main[2]}
fi

# CLARA_GPU_CHECK_DRY=1 (.ci/run): the one-call GPU check, dry on the CPU, on the builds just made; before the final
# line, which stays last. A failed dry run counts as one failure there.
if [ "${CLARA_GPU_CHECK_DRY:-}" = 1 ]; then
  if ! tools/gpu-check.sh --dry --out "$results/gpu-check"; then
    echo "test.sh: tools/gpu-check.sh --dry failed (its log is above)"
    failed=$(( ${failed:-0} + 1 ))
    [ "$status" -eq 0 ] && status=1
  fi
fi
echo "${passed:-0} passed, ${failed:-0} failed, ${skipped:-0} skipped"
exit "$status"
