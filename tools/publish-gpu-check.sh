#!/usr/bin/env bash
# Publishes the inputs of tools/gpu-check.sh for a GPU machine that has no .NET SDK (linux-x64, self-contained):
#   publish/gpu-check/clara               clara, single file, trimmed (tools/publish-clara.sh's settings)
#   publish/gpu-check/Clara.Engine.Tests  the test suite with NUnit's own runner (Microsoft.Testing.Platform), single
#                                         file with its content (fixtures) inside, compressed; not trimmed (NUnit reflects)
#   publish/gpu-check/Clara.Engine.Bench  the bench program, single file, trimmed (only with --bench)
# and says how large each is, raw and gzip-compressed, against what one device call can bring (64 MiB for the working
# tree and the carried paths together): which to carry in which call if they do not fit in one.
#
# Usage: tools/publish-gpu-check.sh [--bench] [--out DIR (publish/gpu-check)]
set -euo pipefail
cd "$(dirname "$0")/.."

out=publish/gpu-check; with_bench=0
while [ $# -gt 0 ]; do
  case "$1" in
    --bench) with_bench=1 ;;
    --out) out="$2"; shift ;;
    *) echo "publish-gpu-check.sh: unknown argument '$1'" >&2; exit 2 ;;
  esac
  shift
done
mkdir -p "$out"
log=$(mktemp)
trap 'rm -f "$log"' EXIT

publish() { # publish NAME PROJECT ARGS...: publishes PROJECT into a scratch folder and keeps only the executable NAME
  local name=$1 project=$2; shift 2
  local dir; dir=$(mktemp -d)
  echo "publish-gpu-check.sh: $name"
  if ! dotnet publish "$project" -c Release -r linux-x64 --self-contained -p:PublishSingleFile=true -p:DebugType=none \
       -nologo -o "$dir" "$@" > "$log" 2>&1; then
    cat "$log" >&2
    echo "publish-gpu-check.sh: dotnet publish of $project failed" >&2
    exit 1
  fi
  if grep -Eq "warning IL[0-9]{4}" "$log"; then
    grep -E "warning IL[0-9]{4}" "$log" | sort -u >&2
    echo "publish-gpu-check.sh: the trimmer warned about $name; the binary could break at run time" >&2
    exit 1
  fi
  local extra; extra=$(find "$dir" -type f ! -name "$name" | head -n 5)
  [ -n "$extra" ] && { echo "publish-gpu-check.sh: $name left other files beside it (not single-file?):" >&2; echo "$extra" >&2; exit 1; }
  mv -f "$dir/$name" "$out/$name"
  rm -rf "$dir"
}

publish clara src/Clara.Cli -p:PublishTrimmed=true -p:TrimmerSingleWarn=false
publish Clara.Engine.Tests tests/Clara.Engine.Tests -p:ClaraTestRunner=true \
  -p:IncludeAllContentForSelfExtract=true -p:EnableCompressionInSingleFile=true
if [ "$with_bench" = 1 ]; then
  publish Clara.Engine.Bench bench/Clara.Engine.Bench -p:PublishTrimmed=true -p:TrimmerSingleWarn=false \
    -p:IncludeNativeLibrariesForSelfExtract=true
else
  rm -f "$out/Clara.Engine.Bench"
fi

limit=$((64 * 1024 * 1024))
tree=$(git ls-files -z --cached --others --exclude-standard | xargs -0 -r stat -c %s 2>/dev/null | awk '{s+=$1} END {print s+0}')
mib() { awk -v b="$1" 'BEGIN {printf "%.1f MiB", b / 1048576}'; }
echo
printf '%-22s %12s %14s\n' "file" "raw" "gzip -6"
total=0; total_gz=0
for f in "$out"/*; do
  raw=$(stat -c %s "$f"); gz=$(gzip -6 -c "$f" | wc -c)
  total=$((total + raw)); total_gz=$((total_gz + gz))
  printf '%-22s %12s %14s\n' "$(basename "$f")" "$(mib "$raw")" "$(mib "$gz")"
done
printf '%-22s %12s\n' "working tree" "$(mib "$tree")"
printf '%-22s %12s %14s\n' "together" "$(mib $((total + tree)))" "$(mib $((total_gz + tree)))"
echo
if [ $((total + tree)) -le "$limit" ]; then
  echo "fits one call: carry [\"$out\"] and run tools/gpu-check.sh (docs/gpu.md)"
else
  echo "over 64 MiB raw together; carry one executable per call (docs/gpu.md):"
  echo "  call 1: carry [\"$out\"] with only clara and Clara.Engine.Tests in it (tools/gpu-check.sh runs every judging step)"
  [ -e "$out/Clara.Engine.Bench" ] && echo "  call 2: carry a folder with only Clara.Engine.Bench (tools/gpu-check.sh --bin DIR runs bench and torch)"
fi
