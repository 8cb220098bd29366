#!/usr/bin/env bash
# Publishes `clara` as one self-contained, trimmed linux-x64 executable: the GPU machines have no .NET,
# only the NVIDIA driver, NVRTC and cuBLAS, which the engine loads at run time by soname.
# The kernels travel inside the executable (embedded resources) and are compiled there by NVRTC.
#
# Trim analysis warnings would mean code the trimmer cannot follow (reflection), i.e. a binary that may
# fail at run time on the GPU machine: any such warning fails this script.
#
# Usage: tools/publish-clara.sh [extra dotnet publish arguments]   → publish/linux-x64/clara
set -euo pipefail
cd "$(dirname "$0")/.."

out=publish/linux-x64
log=$(mktemp)
trap 'rm -f "$log"' EXIT

# TrimmerSingleWarn=false: one warning per problem (not one summary per assembly), so the culprit is named.
dotnet publish src/Clara.Cli -c Release -r linux-x64 --self-contained \
  -p:PublishSingleFile=true -p:PublishTrimmed=true -p:TrimmerSingleWarn=false \
  -p:DebugType=none -o "$out" "$@" 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
if [ "$status" -ne 0 ]; then
  echo "publish-clara.sh: dotnet publish failed ($status)" >&2
  exit "$status"
fi

if grep -Eq "warning IL[0-9]{4}" "$log"; then
  echo "publish-clara.sh: the trimmer reported warnings; the published binary could break at run time:" >&2
  grep -E "warning IL[0-9]{4}" "$log" | sort -u >&2
  exit 1
fi

binary="$out/clara"
size=$(stat -c %s "$binary")
echo "publish-clara.sh: $binary, $((size / 1024 / 1024)) MiB ($size bytes), no trim warnings"
if [ "$size" -gt $((100 * 1024 * 1024)) ]; then
  echo "publish-clara.sh: the executable is over 100 MiB; trimming is not doing its job" >&2
  exit 1
fi
