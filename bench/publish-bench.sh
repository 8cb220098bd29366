#!/usr/bin/env bash
# Publishes the bench program self-contained, single-file and trimmed, so it runs on a host without the .NET SDK
# (a GPU machine): BenchmarkDotNet then runs in-process (the default). Usage:
#   bench/publish-bench.sh [RID (linux-x64)] [OUTPUT (publish/bench)]
# then e.g.  publish/bench/Clara.Engine.Bench peaks
#            publish/bench/Clara.Engine.Bench workload --model small-125m --compress 8x275 --decode 1x64
#            publish/bench/Clara.Engine.Bench --filter '*MatMul*'
set -euo pipefail
cd "$(dirname "$0")/.."
rid="${1:-linux-x64}"
out="${2:-publish/bench}"
dotnet publish bench/Clara.Engine.Bench -c Release -r "$rid" --self-contained \
  -p:PublishSingleFile=true -p:PublishTrimmed=true -p:IncludeNativeLibrariesForSelfExtract=true \
  -o "$out" -nologo
ls -l "$out"
