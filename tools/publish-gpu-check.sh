#!/usr/bin/env bash
# Publishes the inputs of tools/gpu-check.sh for a GPU machine that has no .NET SDK (linux-x64, self-contained),
# xz-compressed, because the working tree alone (about 47 MiB with the default model) leaves under 20 MiB of the
# 64 MiB a device call can carry:
#   publish/gpu-check/clara.xz               clara, single file, trimmed (tools/publish-clara.sh's settings)
#   publish/gpu-check/Clara.Engine.Bench.xz  the bench program, single file, trimmed, without llama.cpp's natives
#                                            (the GPU check never runs the llama peer); only with --bench
#   publish/gpu-check/Clara.Engine.Tests.tar.xz  the test suite with NUnit's own runner (Microsoft.Testing.Platform),
#                                            a self-contained folder, framework trimmed, without the fixtures; only
#                                            with --tests (13.5 MiB: with the working tree it fits a call on its own)
# tools/gpu-check.sh unpacks them into its scratch folder. Prints each size against what one call can carry.
#
# Usage: tools/publish-gpu-check.sh [--bench] [--tests] [--no-clara] [--out DIR (publish/gpu-check)]
set -euo pipefail
cd "$(dirname "$0")/.."

out=publish/gpu-check; with_bench=0; with_tests=0; with_clara=1
while [ $# -gt 0 ]; do
  case "$1" in
    --bench) with_bench=1 ;;
    --tests) with_tests=1 ;;
    --no-clara) with_clara=0 ;;
    --out) out="$2"; shift ;;
    *) echo "publish-gpu-check.sh: unknown argument '$1'" >&2; exit 2 ;;
  esac
  shift
done
command -v xz >/dev/null || { echo "publish-gpu-check.sh: needs xz (apt-get install xz-utils)" >&2; exit 1; }
rm -rf "$out"
mkdir -p "$out"
log=$(mktemp)
trap 'rm -f "$log"' EXIT

publish_into() { # publish_into DIR PROJECT ARGS...: a self-contained linux-x64 Release publish into DIR, without the
  local dir=$1 project=$2; shift 2  # files that never travel
  if ! dotnet publish "$project" -c Release -r linux-x64 --self-contained -p:DebugType=none -nologo -o "$dir" "$@" \
       > "$log" 2>&1; then
    cat "$log" >&2
    echo "publish-gpu-check.sh: dotnet publish of $project failed" >&2
    exit 1
  fi
  # The default model the build puts beside clara already travels in the working tree (samples/default-model).
  rm -rf "$dir/models"
  # Symbols that packages ship beside their assemblies (NUnit's adapter) are not bundled; nothing runs them.
  find "$dir" -name '*.pdb' -delete
}

publish() { # publish NAME PROJECT ARGS...: PROJECT as one file in a scratch folder; keeps only NAME, compressed
  local name=$1 project=$2; shift 2
  local dir; dir=$(mktemp -d)
  echo "publish-gpu-check.sh: $name"
  publish_into "$dir" "$project" -p:PublishSingleFile=true "$@"
  if grep -Eq "warning IL[0-9]{4}" "$log"; then
    grep -E "warning IL[0-9]{4}" "$log" | sort -u >&2
    echo "publish-gpu-check.sh: the trimmer warned about $name; the binary could break at run time" >&2
    exit 1
  fi
  # DLLs in subfolders are Windows-only natives (BenchmarkDotNet's amd64/ ETW and DIA helpers) or satellite
  # resources, and .so files beside the bench are llama.cpp's CPU builds: the GPU check loads none of them.
  find "$dir" -mindepth 2 -name '*.dll' -delete
  [ "$name" = Clara.Engine.Bench ] && find "$dir" -name '*.so' -delete
  find "$dir" -mindepth 1 -type d -empty -delete
  local extra; extra=$(find "$dir" -type f ! -name "$name" | head -n 5)
  [ -n "$extra" ] && { echo "publish-gpu-check.sh: $name left other files beside it (not single-file?):" >&2; echo "$extra" >&2; exit 1; }
  xz -9 -T0 -c "$dir/$name" > "$out/$name.xz"
  echo "  $(stat -c %s "$dir/$name" | awk '{printf "%.1f MiB", $1 / 1048576}') raw"
  rm -rf "$dir"
}

[ "$with_clara" = 1 ] && publish clara src/Clara.Cli -p:PublishTrimmed=true -p:TrimmerSingleWarn=false
[ "$with_bench" = 1 ] && publish Clara.Engine.Bench bench/Clara.Engine.Bench -p:PublishTrimmed=true -p:TrimmerSingleWarn=false
if [ "$with_tests" = 1 ]; then
  # A folder, not a single file: NUnit's adapter loads nunit.engine.dll from beside its own assembly. Trimmed only in
  # the framework's assemblies (TrimMode=partial keeps every test, NUnit and engine assembly whole, so reflection over
  # them still works); the fixtures are not copied: tools/gpu-check.sh links the checkout's tests/fixtures beside it.
  echo "publish-gpu-check.sh: Clara.Engine.Tests (folder)"
  dir=$(mktemp -d)
  publish_into "$dir" tests/Clara.Engine.Tests -p:ClaraTestRunner=true -p:PublishTrimmed=true -p:TrimMode=partial \
    -p:SuppressTrimAnalysisWarnings=true -p:EnableTrimAnalyzer=false -p:JsonSerializerIsReflectionEnabledByDefault=true
  tar -C "$dir" -cf - . | xz -9 -T0 > "$out/Clara.Engine.Tests.tar.xz"
  echo "  $(du -sm "$dir" | cut -f1) MiB raw"
  rm -rf "$dir"
  # The runner's restore leaves the test project's assets without VSTest's host: restore it for `dotnet test` again.
  dotnet restore tests/Clara.Engine.Tests -nologo > "$log" 2>&1 || { cat "$log" >&2; exit 1; }
fi

limit=$((64 * 1024 * 1024))
tree=$(git ls-files -z --cached --others --exclude-standard | xargs -0 -r stat -c %s 2>/dev/null | awk '{s+=$1} END {print s+0}')
mib() { awk -v b="$1" 'BEGIN {printf "%.1f MiB", b / 1048576}'; }
echo
total=0
for f in "$out"/*; do
  size=$(stat -c %s "$f"); total=$((total + size))
  printf '%-26s %10s\n' "$(basename "$f")" "$(mib "$size")"
done
printf '%-26s %10s\n' "working tree" "$(mib "$tree")"
printf '%-26s %10s of %s\n' "together" "$(mib $((total + tree)))" "$(mib "$limit")"
echo
if [ $((total + tree)) -le "$limit" ]; then
  echo "fits one call: carry [\"$out\"] and run tools/gpu-check.sh (docs/gpu.md)"
else
  echo "over what one call can carry: publish fewer programs (without --tests, or without --bench) or split them" \
       "over two calls (tools/gpu-check.sh --bin DIR --steps ...; docs/gpu.md)"
  exit 1
fi
