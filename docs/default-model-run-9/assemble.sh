#!/bin/bash
# Lays run 9 (chain.sh's WORKDIR) out as tools/train-default-model.sh's output, for
# tools/publish-default-model.sh --from OUT: OUT/stage4-e2e is the chosen round's e2e model, OUT/eval/<step>.json every
# evaluation (all 480 test questions), OUT/logs/train-<step>.log every step's log, OUT/times.tsv every step's wall time
# and OUT/results.md the per-step table; the BM25 rows are evaluated here.
# usage: assemble.sh WORKDIR DATA OUT FINAL   (FINAL: the published e2e step, e.g. E2)
set -euo pipefail
W=$1 D=$2 OUT=$3 final=$4
repo=$(cd "$(dirname "$0")/../.." && pwd)
C="dotnet $repo/src/Clara.Cli/bin/Release/net10.0/clara.dll"
rm -rf "$OUT" && mkdir -p "$OUT/eval" "$OUT/logs" "$OUT/data/eval"
cp -r "$W/$final" "$OUT/stage4-e2e"
cp "$D/eval/test.jsonl" "$D/eval/validation.jsonl" "$OUT/data/eval/"
cp "$D/test-documents.jsonl" "$OUT/data/"
cp "$W/chain.log" "$OUT/logs/chain.log"
for log in "$W"/*.train.log; do name=$(basename "$log" .train.log); cp "$log" "$OUT/logs/train-$name.log"; done
for ev in "$W"/ev-*.json; do name=$(basename "$ev" .json); cp "$ev" "$OUT/eval/${name#ev-}.json"; done
cp "$W/ev-$final.json" "$OUT/eval/stage4-e2e.json"
sed -n 's/^\[[0-9:]*\] \(.*\) exit 0 (\([0-9]*\) s)$/train-\1\t\2/p' "$W/chain.log" > "$OUT/times.tsv"
$C eval --json --max-new-tokens 16 --k 1 --model "$W/instruct" --data "$D/eval/test.jsonl" --threads 2 --baseline bm25 --no-answers > "$OUT/eval/bm25.json"
$C eval --json --max-new-tokens 16 --k 1 --model "$OUT/stage4-e2e" --data "$D/eval/test.jsonl" --threads 2 --baseline bm25 > "$OUT/eval/bm25-final.json"
/usr/bin/python3 - "$OUT" "$final" <<'PY'
import json, sys
from pathlib import Path
out, final = Path(sys.argv[1]), sys.argv[2]
times = dict(line.split("\t") for line in (out / "times.tsv").read_text().splitlines())
steps = [("scp", "lm, read, scp-qa, scp: base pretraining, the reading curriculum, SCP (query reasoner = compressor)", "lm read scp-qa scp"),
         ("rank", "+ rank, compressor + query reasoner, 800 × 4", "rank"),
         ("instruct", "+ instruction (generator only, k = 1), 500 × 8", "instruct")]
r = 0
while (out / "eval" / f"E{r + 1}.json").exists():
    r += 1
    turns = " ".join(f"A{t} B{t}" for t in range(4 * r - 3, 4 * r + 1))
    steps += [(f"B{4 * r}", f"+ fine alternation, round {r} (4 × (SCP on whole-document questions 300 × 8, joint rank 75 × 4))", turns),
              (f"S{r}", f"+ instruction, round {r}, 400 × 8", f"S{r}"),
              (f"E{r}", f"+ end-to-end, round {r}, 150 × 4" + (" (**published**)" if f"E{r}" == final else ""), f"E{r}")]
steps += [("bm25", "BM25 (no training)", ""), ("bm25-final", f"BM25 + the generator of {final}", "")]
f = lambda v: "-" if v is None else f"{v:.3f}"
lines = []
for name, label, trained in steps:
    e = json.loads((out / "eval" / f"{name}.json").read_text())
    minutes = sum(int(times["train-" + s]) for s in trained.split()) / 60 if trained else None
    lines.append(f"| {label} | {f(e['recall_at_1'])} | {f(e['recall_at_k'])} | {f(e['exact_match'])} | {f(e['f1'])} | "
                 f"{'' if minutes is None else f'{minutes:.1f}'} |")
total = sum(int(v) for v in times.values()) / 60
(out / "results.md").write_text("\n".join([
    f"All 480 test questions (N = 20 candidates, entities never seen in training), k = 1; run 9's training steps took "
    f"{total:.1f} min in all (docs/default-model-run-9/chain.sh; evaluations, tokenizer and builds not included).", "",
    "| model | recall@1 | recall@k | EM | F1 | training min |", "|---|---|---|---|---|---|", *lines]) + "\n")
print((out / "results.md").read_text())
PY
