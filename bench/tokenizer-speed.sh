#!/usr/bin/env bash
# Single-threaded encode speed: Google's sentencepiece (system Python) and the engine's tokenizer (three ways, and
# Microsoft.ML.Tokenizers, the engine's former path) on the same Mistral-sized BPE model and corpus, which
# bench/tokenizer_speed.py builds once in WORK from text already on the machine. Prints both JSON objects and the ratio.
# The host is shared and noisy, so the two sides alternate ROUNDS times on the first LIMIT documents and the best of
# each side is kept.
#   bench/tokenizer-speed.sh [WORK (/tmp/clara-tokenizer-bench)] [REPEAT (3)] [LIMIT (400)] [ROUNDS (3)]
set -euo pipefail
cd "$(dirname "$0")/.."
work=${1:-/tmp/clara-tokenizer-bench}
repeat=${2:-3}
limit=${3:-400}
rounds=${4:-3}
dotnet build -c Release bench/Clara.Engine.Bench -v quiet -nologo >/dev/null
results=$(mktemp)
trap 'rm -f "$results"' EXIT
for round in $(seq "$rounds"); do
  echo "sentencepiece $(/usr/bin/python3 bench/tokenizer_speed.py --work "$work" --repeat "$repeat" --limit "$limit")" >> "$results"
  echo "engine $(dotnet bench/Clara.Engine.Bench/bin/Release/net10.0/Clara.Engine.Bench.dll tokenizer \
    --model "$work" --corpus "$work/corpus.jsonl" --repeat "$repeat" --limit "$limit" | tr -d '\n ')" >> "$results"
done
cat "$results"
/usr/bin/python3 - "$results" <<'PY'
import json, sys
ref = [json.loads(l.split(" ", 1)[1]) for l in open(sys.argv[1]) if l.startswith("sentencepiece ")]
eng = [json.loads(l.split(" ", 1)[1]) for l in open(sys.argv[1]) if l.startswith("engine ")]
assert all(r["tokens"] == e["tokens"] for r, e in zip(ref, eng)), "token counts differ between sentencepiece and the engine"
best_ref = min(r["seconds"] for r in ref)
best_ref_cpu = min(r["cpu_seconds"] for r in ref)
print(f"{ref[0]['documents']} documents, {ref[0]['characters']} characters, {ref[0]['tokens']} tokens")
print(f"sentencepiece best {best_ref:.3f} s wall, {best_ref_cpu:.3f} s CPU")
labels = {"engine": "engine (chunk cache)", "engine_no_cache": "engine without the chunk cache",
          "engine_whole_text": "engine on the whole text (no chunks)", "microsoft_ml_tokenizers": "Microsoft.ML.Tokenizers"}
for name, label in labels.items():
    if all(name in e for e in eng):
        wall = min(e[name]["best_s"] for e in eng)
        cpu = min(e[name]["best_cpu_s"] for e in eng)
        print(f"{label}: best {wall:.3f} s wall, {cpu:.3f} s CPU: {best_ref / wall:.2f}x sentencepiece's speed (wall), {best_ref_cpu / cpu:.2f}x (CPU)")
PY
