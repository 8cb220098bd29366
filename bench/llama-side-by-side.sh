#!/usr/bin/env bash
# Builds the bench program (Release, with LLamaSharp's llama.cpp) and runs bench/llama_side_by_side.py, which
# alternates the engine and llama.cpp on the same random weights. Arguments go to the script, e.g.:
#   bench/llama-side-by-side.sh --threads 2 --rounds 3 --dtypes f32,bf16,f16 --json /tmp/llama.json
set -euo pipefail
cd "$(dirname "$0")/.."
dotnet build -c Release bench/Clara.Engine.Bench -v quiet -nologo >/dev/null
exec python3 bench/llama_side_by_side.py "$@"
