#!/usr/bin/env bash
# Copies a finished run of tools/train-default-model.sh into samples/, where the build picks the default model up:
#   samples/default-model/         the trained CLaRa directory (no optimizer checkpoint, no metrics)
#   samples/default-eval/          the generated evaluation files: test.jsonl and validation.jsonl (N = 20 candidates
#                                  a question), test-documents.jsonl, and subset.jsonl (the first 40 test questions)
#   samples/default-corpus.jsonl   the bundled corpus of the README's main command: the 20 candidates of one test question
#   samples/default-model-recipe/  the run's log, times, per-stage table, every evaluation and every stage's metrics,
#                                  and eval-subset.json (clara eval --json on subset.jsonl, which a test reproduces)
#
# usage: tools/publish-default-model.sh [--from DIR] [--stage NAME] [--question INDEX]
#   --from DIR        the recipe's output (default artifacts/default-model)
#   --stage NAME      the model directory to publish (default stage5-e2e, the recipe's final model)
#   --question INDEX  the test question of the README's main command (default: the first one the published model
#                     answers exactly with its gold document ranked first)
set -euo pipefail
cd "$(dirname "$0")/.."

from=artifacts/default-model
stage=stage5-e2e
question=
while [ $# -gt 0 ]; do
  case "$1" in
    --from) from=$2; shift 2 ;;
    --stage) stage=$2; shift 2 ;;
    --question) question=$2; shift 2 ;;
    -h|--help) sed -n '2,16p' "$0"; exit 0 ;;
    *) echo "publish-default-model.sh: unknown argument '$1' (see --help)" >&2; exit 2 ;;
  esac
done
[ -f "$from/$stage/clara.json" ] || { echo "publish-default-model.sh: $from/$stage is not a CLaRa directory" >&2; exit 1; }
[ -f "$from/eval/$stage.json" ] || { echo "publish-default-model.sh: no evaluation $from/eval/$stage.json" >&2; exit 1; }

python=/usr/bin/python3
clara=(dotnet src/Clara.Cli/bin/Release/net10.0/clara.dll)
model=samples/default-model
recipe=samples/default-model-recipe
evals=samples/default-eval

rm -rf "$model" "$recipe" "$evals"
mkdir -p "$model" "$recipe/eval" "$recipe/logs" "$recipe/metrics" "$evals"
(cd "$from/$stage" && find . -path ./checkpoint -prune -o -type f ! -name metrics.jsonl -print) | while read -r f; do
  mkdir -p "$model/$(dirname "$f")"; cp "$from/$stage/$f" "$model/$f"
done
cp "$from/logs/"*.log "$recipe/logs/"
cp "$from/times.tsv" "$from/results.md" "$recipe/"
cp "$from/eval/"*.json "$recipe/eval/"
cp "$from/eval/$stage.json" "$recipe/eval/published.json"   # under one name whichever stage is published (the README's test reads it)
for s in "$from"/stage*/; do [ -f "$s/metrics.jsonl" ] && cp "$s/metrics.jsonl" "$recipe/metrics/$(basename "$s").jsonl"; done
cp "$from/data/eval/test.jsonl" "$from/data/eval/validation.jsonl" "$from/data/test-documents.jsonl" "$evals/"
head -n 40 "$evals/test.jsonl" > "$evals/subset.jsonl"

"$python" - "$from/eval/$stage.json" "$evals/test.jsonl" "$evals/test-documents.jsonl" "${question:-}" > samples/default-corpus.jsonl <<'PY'
import json, sys
evaluation, questions, documents, chosen = sys.argv[1:5]
picks = json.load(open(evaluation))["picks"]
lines = [json.loads(l) for l in open(questions)]
ids = {d["text"]: d["id"] for d in map(json.loads, open(documents))}
if chosen:
    index = int(chosen)
else:
    index = next(p["index"] for p in picks if p["exact_match"] == 1 and p["topk"][0] == p["gold"])
q = lines[index]
for text in q["docs"]:
    print(json.dumps({"id": ids[text], "text": text}))
pick = next(p for p in picks if p["index"] == index)
print(f"README question (test question {index}): {q['question']!r} -> {q['answer']!r} from the document "
      f"{ids[q['docs'][q['gold']]]!r}; the model answered {pick['answer']!r}", file=sys.stderr)
PY

"${clara[@]}" eval --model "$model" --data "$evals/subset.jsonl" --json --max-new-tokens 16 --threads 1 > "$recipe/eval-subset.json"
du -sh "$model" samples/default-corpus.jsonl "$evals" "$recipe"
