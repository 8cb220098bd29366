#!/usr/bin/env bash
# Builds the bench program (Release) and runs bench/side_by_side.py with the system Python, which has PyTorch.
# Arguments go to the script, e.g.: bench/side-by-side.sh --threads 2 --models tiny,small-125m --json /tmp/sbs.json
set -euo pipefail
cd "$(dirname "$0")/.."
dotnet build -c Release bench/Clara.Engine.Bench -v quiet -nologo >/dev/null
exec /usr/bin/python3 bench/side_by_side.py "$@"
