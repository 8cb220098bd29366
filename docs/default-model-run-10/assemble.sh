#!/bin/bash
# Lays run 10 out as tools/publish-default-model.sh expects a recipe output (OUT): the published record of runs 3-8
# (samples/default-model-recipe: its evaluations, logs, metrics and times; run 8's E13 renamed stage3-E13), then run
# 10's steps as stage5-<step> (evaluated on all 480 test questions), and FINAL as stage4-e2e.
# usage: assemble.sh WORKDIR OUT FINAL   (WORKDIR: chain.sh's; FINAL: the published e2e step, e.g. E3, chosen by its
#        exact match on the validation split: clara eval --data samples/default-eval/validation.jsonl > WORKDIR/val-E<n>.json)
set -euo pipefail
W=$1 OUT=$2 final=$3
repo=$(cd "$(dirname "$0")/../.." && pwd)
R8=$repo/samples/default-model-recipe
C="dotnet $repo/src/Clara.Cli/bin/Release/net10.0/clara.dll"
rm -rf "$OUT" && mkdir -p "$OUT/eval" "$OUT/logs" "$OUT/data/eval"
cp "$repo/samples/default-eval/test.jsonl" "$repo/samples/default-eval/validation.jsonl" "$OUT/data/eval/"
cp "$repo/samples/default-eval/test-documents.jsonl" "$OUT/data/"
# Runs 3-8: every stage's metrics as a stage directory of its own, E13 (run 8's stage4-e2e) renamed.
for m in "$R8"/metrics/*.jsonl; do
  name=$(basename "$m" .jsonl); [ "$name" = stage4-e2e ] && name=stage3-E13
  mkdir -p "$OUT/$name" && cp "$m" "$OUT/$name/metrics.jsonl"
done
cp "$R8"/eval/*.json "$OUT/eval/"
mv "$OUT/eval/stage4-e2e.json" "$OUT/eval/stage3-E13.json"
mv "$OUT/eval/bm25-final.json" "$OUT/eval/bm25-E13.json"
cp "$R8"/logs/*.log "$OUT/logs/"
# Run 10's steps, in chain order, up to FINAL.
steps=$(sed -n 's/^\[[0-9:]*\] \([A-Z][0-9]*\) exit 0 .*/\1/p' "$W/chain.log" | sed "/^$final\$/q")
for s in $steps; do
  mkdir -p "$OUT/stage5-$s" && cp "$W/$s/metrics.jsonl" "$OUT/stage5-$s/"
  [ -f "$W/ev-$s.json" ] && cp "$W/ev-$s.json" "$OUT/eval/stage5-$s.json"   # the A steps and B1-B3 of a round are not evaluated
  cp "$W/$s.train.log" "$OUT/logs/train-run10-$s.log"
done
cp "$W/ev-m16.json" "$OUT/eval/stage5-m16.json"
# The rounds' e2e models (and E13) on the validation split, where FINAL was chosen (val-<step>.json beside chain.log).
for v in "$W"/val-*.json; do name=$(basename "$v" .json); cp "$v" "$OUT/eval/validation-${name#val-}.json"; done
# E13 itself on all 480 (run 8 published its first-120 figures): evaluated here, before publishing replaces it.
grep -q '"compression_rate": 8' "$repo/samples/default-model/clara.json" || { echo "samples/default-model is no longer E13" >&2; exit 1; }
$C eval --json --max-new-tokens 16 --k 1 --model "$repo/samples/default-model" --data "$OUT/data/eval/test.jsonl" --threads 2 > "$OUT/eval/stage3-E13-480.json"
cp -r "$W/$final" "$OUT/stage4-e2e" && rm -rf "$OUT/stage4-e2e/checkpoint"
cp "$W/ev-$final.json" "$OUT/eval/stage4-e2e.json"
$C eval --json --max-new-tokens 16 --k 1 --model "$OUT/stage4-e2e" --data "$OUT/data/eval/test.jsonl" --threads 2 --baseline bm25 > "$OUT/eval/bm25-final.json"
cat "$W/chain.log" >> "$OUT/logs/evaluations.log"
elapsed() { grep '"elapsed_s"' "$1/metrics.jsonl" | tail -1 | /usr/bin/python3 -c 'import json,sys; print(round(json.loads(sys.stdin.read())["elapsed_s"]))'; }
{ cat "$R8/times.tsv"; for s in $steps; do printf 'train-run10-%s\t%s\n' "$s" "$(elapsed "$W/$s")"; done; } > "$OUT/times.tsv"
/usr/bin/python3 - "$R8/results.md" "$OUT" "$final" $steps <<'PY'
import json, sys
from pathlib import Path
old, out, final, steps = sys.argv[1], Path(sys.argv[2]), sys.argv[3], sys.argv[4:]
times = dict(l.split("\t") for l in (out / "times.tsv").read_text().splitlines())
what = {"A": "SCP on whole-document questions, compressor + generator, 300 × 8, lr 5e-4",
        "B": "rank, compressor + query reasoner, 75 × 4, lr 3e-4",
        "S": "instruction (generator only, k = 1), 400 × 8, lr 5e-4", "E": "end-to-end, 150 × 4, lr 1e-4"}
f = lambda v: f"{v:.3f}"
def row(text, name, minutes):
    r = json.loads((out / "eval" / f"{name}.json").read_text())
    return f"| {text} | {f(r['recall_at_1'])} | {f(r['exact_match'])} | {f(r['f1'])} | {minutes} |"
lines = [l.replace("**the published model**", "run 8's published model") for l in Path(old).read_text().splitlines()]
lines = [l for l in lines if not l.startswith("| BM25")]
new = [row("E13 (run 8's published model), n_mem 8", "stage3-E13-480", ""),
       row("E13 given 16 memory slots (compression rate 4), untrained for them", "stage5-m16", "")]
spent = 0
for s in steps:
    spent += int(times[f"train-run10-{s}"])
    if (out / "eval" / f"stage5-{s}.json").exists():
        label = (f"+ round {int(s[1:]) // 4}: four turns of {what['A']} and {what['B']} (A{int(s[1:]) - 3} … {s})"
                 if s[0] == "B" else f"+ {s}: {what[s[0]]}")
        if s == final:
            label += ": **the published model**"
        new.append(row(label, f"stage5-{s}", f"{spent / 60:.1f}"))
        spent = 0
new.append(row(f"BM25 top-1 (no training) + {final}'s generator", "bm25-final", ""))
total = sum(int(v) for v in times.values()) / 60
text = "\n".join(lines) + "\n\n" + "\n".join([
    f"Run 10, all 480 test questions (k = 1): run 8's E13 with twice the memory, then rounds of the fine alternation "
    f"(docs/default-model-run-10/chain.sh); training minutes per evaluated row are those since the row before. Training "
    f"wall time over all stages of runs 3-8 and 10: {total:.0f} min.", "",
    "| model | recall@1 | EM | F1 | training min |", "|---|---|---|---|---|", *new]) + "\n"
(out / "results.md").write_text(text)
print(text)
PY
