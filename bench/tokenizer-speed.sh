#!/usr/bin/env bash
# Single-threaded encode speed: Google's sentencepiece (system Python) and the engine's tokenizer (and
# Microsoft.ML.Tokenizers, the engine's former path) on the same Mistral-sized BPE model and corpus, which
# bench/tokenizer_speed.py builds once in WORK from text already on the machine. Prints both JSON objects and the ratio.
#   bench/tokenizer-speed.sh [WORK (/tmp/clara-tokenizer-bench)] [REPEAT (5)]
set -euo pipefail
cd "$(dirname "$0")/.."
work=${1:-/tmp/clara-tokenizer-bench}
repeat=${2:-5}
dotnet build -c Release bench/Clara.Engine.Bench -v quiet -nologo >/dev/null
reference=$(/usr/bin/python3 bench/tokenizer_speed.py --work "$work" --repeat "$repeat")
engine=$(DOTNET_TieredPGO=1 dotnet bench/Clara.Engine.Bench/bin/Release/net10.0/Clara.Engine.Bench.dll tokenizer \
  --model "$work" --corpus "$work/corpus.jsonl" --repeat "$repeat")
echo "sentencepiece: $reference"
echo "engine: $engine"
/usr/bin/python3 - "$reference" "$engine" <<'PY'
import json, sys
ref, eng = json.loads(sys.argv[1]), json.loads(sys.argv[2])
assert ref["tokens"] == eng["tokens"], f"token counts differ: sentencepiece {ref['tokens']}, engine {eng['tokens']}"
print(f"engine / sentencepiece encode speed: {ref['seconds'] / eng['engine']['best_s']:.2f}x")
if "microsoft_ml_tokenizers" in eng:
    print(f"Microsoft.ML.Tokenizers / sentencepiece: {ref['seconds'] / eng['microsoft_ml_tokenizers']['best_s']:.2f}x")
PY
