#!/usr/bin/env bash
# Builds the bench program (Release) and runs bench/train_side_by_side.py with the system Python, which has PyTorch.
# Arguments go to the script, e.g.: bench/train-side-by-side.sh --model small-125m --rounds 3 --json /tmp/train.json
set -euo pipefail
cd "$(dirname "$0")/.."
dotnet build -c Release bench/Clara.Engine.Bench -v quiet -nologo >/dev/null
exec /usr/bin/python3 bench/train_side_by_side.py "$@"
