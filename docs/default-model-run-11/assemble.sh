#!/bin/bash
# Lays run 11 out as tools/publish-default-model.sh expects a recipe output (OUT): the published record of runs 3-10
# (samples/default-model-recipe; run 10's E4, published as stage4-e2e, is already there as stage5-E4), then run 11's
# steps as stage6-<step>, and the published model as stage4-e2e: `clara average` of the e2e models MEMBERS (run 10's
# E4 is "r10-E4"; one member is published as it is), chosen by exact match on the validation split.
# usage: assemble.sh WORKDIR OUT MEMBER [MEMBER ...]   (WORKDIR: chain.sh's)
set -euo pipefail
W=$1 OUT=$2; shift 2
members=("$@")
final=${members[-1]}
repo=$(cd "$(dirname "$0")/../.." && pwd)
R10=$repo/samples/default-model-recipe
C="dotnet $repo/src/Clara.Cli/bin/Release/net10.0/clara.dll"
rm -rf "$OUT" && mkdir -p "$OUT/eval" "$OUT/logs" "$OUT/data/eval"
cp "$repo/samples/default-eval/test.jsonl" "$repo/samples/default-eval/validation.jsonl" "$OUT/data/eval/"
cp "$repo/samples/default-eval/test-documents.jsonl" "$OUT/data/"
cmp -s "$R10/eval/stage4-e2e.json" "$R10/eval/stage5-E4.json" || { echo "samples/default-model is no longer run 10's E4" >&2; exit 1; }
for m in "$R10"/metrics/*.jsonl; do
  name=$(basename "$m" .jsonl); [ "$name" = stage4-e2e ] && continue
  mkdir -p "$OUT/$name" && cp "$m" "$OUT/$name/metrics.jsonl"
done
cp "$R10"/eval/*.json "$OUT/eval/"
rm "$OUT/eval/stage4-e2e.json"
mv "$OUT/eval/bm25-final.json" "$OUT/eval/bm25-E4.json"
cp "$R10"/logs/*.log "$OUT/logs/"
# Run 11's steps, in chain order, up to FINAL.
steps=$(sed -n 's/^\[[0-9:]*\] \([A-Z][0-9]*\) exit 0 .*/\1/p' "$W/chain.log" | sed "/^$final\$/q")
for s in $steps; do
  mkdir -p "$OUT/stage6-$s" && cp "$W/$s/metrics.jsonl" "$OUT/stage6-$s/"
  [ -f "$W/ev-$s-test.json" ] && cp "$W/ev-$s-test.json" "$OUT/eval/stage6-$s.json"   # B1-B3 of a round and the A steps are not evaluated
  [ -f "$W/ev-$s-validation.json" ] && cp "$W/ev-$s-validation.json" "$OUT/eval/validation-run11-$s.json"
  cp "$W/$s.train.log" "$OUT/logs/train-run11-$s.log"
done
member_dirs=(); for m in "${members[@]}"; do [ "$m" = r10-E4 ] && member_dirs+=("$repo/samples/default-model") || member_dirs+=("$W/$m"); done
if [ ${#members[@]} -eq 1 ]; then
  cp -r "$W/$final" "$OUT/stage4-e2e" && rm -rf "$OUT/stage4-e2e/checkpoint" "$OUT/stage4-e2e/metrics.jsonl"
else
  $C average "${member_dirs[@]}" --out "$OUT/stage4-e2e"
fi
for split in test validation; do
  $C eval --json --max-new-tokens 16 --k 1 --model "$OUT/stage4-e2e" --data "$OUT/data/eval/$split.jsonl" --threads 2 > "$OUT/eval/final-$split.json"
done
mv "$OUT/eval/final-test.json" "$OUT/eval/stage4-e2e.json"
mv "$OUT/eval/final-validation.json" "$OUT/eval/validation-final.json"
$C eval --json --max-new-tokens 16 --k 1 --model "$OUT/stage4-e2e" --data "$OUT/data/eval/test.jsonl" --threads 2 --baseline bm25 > "$OUT/eval/bm25-final.json"
{ echo "# run 11 (docs/default-model-run-11/chain.sh)"; cat "$W/chain.log"; } >> "$OUT/logs/evaluations.log"
elapsed() { grep '"elapsed_s"' "$1/metrics.jsonl" | tail -1 | /usr/bin/python3 -c 'import json,sys; print(round(json.loads(sys.stdin.read())["elapsed_s"]))'; }
{ cat "$R10/times.tsv"; for s in $steps; do printf 'train-run11-%s\t%s\n' "$s" "$(elapsed "$W/$s")"; done; } > "$OUT/times.tsv"
/usr/bin/python3 - "$R10/results.md" "$OUT" "$(IFS=,; echo "${members[*]}")" $steps <<'PY'
import json, sys
from pathlib import Path
old, out, members, steps = sys.argv[1], Path(sys.argv[2]), sys.argv[3].split(","), sys.argv[4:]
times = dict(l.split("\t") for l in (out / "times.tsv").read_text().splitlines())
what = {"A": "SCP on whole-document questions, compressor + generator, 300 × 8, lr 5e-4",
        "B": "rank, query reasoner only, 75 × 4, lr 3e-4",
        "S": "instruction (generator only, k = 1), 400 × 8, lr 5e-4", "E": "end-to-end, 150 × 4, lr 1e-4"}
f = lambda v: f"{v:.3f}"
def figures(name):
    r = json.loads((out / "eval" / f"{name}.json").read_text())
    return f"{f(r['recall_at_1'])} | {f(r['exact_match'])} | {f(r['f1'])}"
def validation(name):
    path = out / "eval" / f"validation-{name}.json"
    return f(json.loads(path.read_text())["exact_match"]) if path.exists() else ""
lines = [l.replace("**the published model**", "run 10's published model") for l in Path(old).read_text().splitlines()]
lines = [l for l in lines if not l.startswith("| BM25 top-1 (no training) + E4")]
new = [f"| run 10's E4 (the model published before run 11) | {figures('stage5-E4')} | {validation('E4')} | |"]
spent = 0
for s in steps:
    spent += int(times[f"train-run11-{s}"])
    if (out / "eval" / f"stage6-{s}.json").exists():
        label = (f"+ round {int(s[1:]) // 4}: four turns of {what['A']} and {what['B']} (A{int(s[1:]) - 3} … {s})"
                 if s[0] == "B" else f"+ {s}: {what[s[0]]}")
        new.append(f"| {label} | {figures('stage6-' + s)} | {validation('run11-' + s)} | {spent / 60:.1f} |")
        spent = 0
named = ["run 10's E4" if m == "r10-E4" else m for m in members]
label = (f"the mean of the adapters of {', '.join(named)} (`clara average`)" if len(members) > 1 else members[0])
new.append(f"| {label}: **the published model** | {figures('stage4-e2e')} | {validation('final')} | |")
new.append(f"| BM25 top-1 (no training) + the published model's generator | {figures('bm25-final')} | | |")
total = sum(int(v) for v in times.values()) / 60
text = "\n".join(lines) + "\n\n" + "\n".join([
    f"Run 11, all 480 test questions (k = 1): run 10's E4 through more rounds, with rank turns on the query reasoner "
    f"only (docs/default-model-run-11/chain.sh), then weight averaging; the published model is chosen by its exact "
    f"match on the 480 validation questions; training minutes per evaluated row are those since the row before. "
    f"Training wall time over all stages of runs 3-8, 10 and 11: {total:.0f} min.", "",
    "| model | recall@1 | EM | F1 | validation EM | training min |", "|---|---|---|---|---|---|", *new]) + "\n"
(out / "results.md").write_text(text)
print(text)
PY
