#!/bin/bash
# Lays run 8 out as tools/publish-default-model.sh expects a recipe output (/tmp/x/pub8): run 7's published record
# (samples/default-model-recipe: its evaluations, logs, metrics and times, with run 7's E11 now the step stage3-E11)
# followed by run 8's steps (round.sh, one call a round) as stage3-<step>, and FINAL as stage4-e2e.
# usage: assemble.sh FINAL STEP...   (FINAL the published e2e step; the STEPs in chain order, side branches included)
# Before it: the 120-question evaluations ev-FINAL.json and ev-FINAL-bm25.json (clara eval --limit 120 [--baseline bm25]).
set -euo pipefail
cd /tmp/x
R7=/work/main/samples/default-model-recipe
final=$1; shift
steps="$*"
rm -rf pub8 && mkdir -p pub8/eval pub8/logs
ln -s /tmp/x/data pub8/data
# Run 7's record: every stage's metrics as a stage directory of its own, E11 (run 7's stage4-e2e) renamed.
for m in "$R7"/metrics/*.jsonl; do
  name=$(basename "$m" .jsonl); [ "$name" = stage4-e2e ] && name=stage3-E11
  mkdir -p "pub8/$name" && cp "$m" "pub8/$name/metrics.jsonl"
done
cp "$R7"/eval/*.json pub8/eval/
mv pub8/eval/stage4-e2e.json pub8/eval/stage3-E11.json
mv pub8/eval/bm25-final.json pub8/eval/bm25-E11.json
cp "$R7"/logs/*.log pub8/logs/
# Run 8's steps.
for s in $steps; do
  mkdir -p pub8/stage3-$s && cp $s/metrics.jsonl pub8/stage3-$s/
  [ -f ev-$s.json ] && cp ev-$s.json pub8/eval/stage3-$s.json   # the A steps were not evaluated
  cp $s.train.log pub8/logs/train-$s.log
done
cp -r $final pub8/stage4-e2e && rm -rf pub8/stage4-e2e/checkpoint
/usr/bin/python3 - pub8/stage4-e2e/clara.json <<'PY'
import json, sys
p = sys.argv[1]; c = json.load(open(p)); c["top_k"] = 1
open(p, "w").write(json.dumps(c, indent=2) + "\n")
PY
cp $final.train.log pub8/logs/train-$final.log
cp ev-$final.json pub8/eval/stage4-e2e.json
cp ev-$final-bm25.json pub8/eval/bm25-final.json
cat chain.log >> pub8/logs/evaluations.log
elapsed() { grep '"elapsed_s"' "$1/metrics.jsonl" | tail -1 | /usr/bin/python3 -c 'import json,sys; print(round(json.loads(sys.stdin.read())["elapsed_s"]))'; }
{ cat "$R7/times.tsv"
  for s in $steps $final; do printf 'train-%s\t%s\n' $s "$(elapsed /tmp/x/$s)"; done; } > pub8/times.tsv
# The table: run 7's rows up to E11 (no longer the published model), then run 8's.
/usr/bin/python3 - "$R7/results.md" "$final" $steps <<'PY' > pub8/results.md
import json, sys
old, final, steps = sys.argv[1], sys.argv[2], sys.argv[3:]
what = {**{f"A{i}": f"fine alternation {i} of 12: SCP on whole-document questions, compressor + generator, 300 × 8, lr 5e-4" for i in range(5, 13)},
        **{f"B{i}": f"fine alternation {i} of 12: rank, compressor + query reasoner, 75 × 4, lr 3e-4" for i in range(5, 13)},
        "S10": "instruction, 400 × 8, lr 5e-4", "E12": "end-to-end, 150 × 4, lr 1e-4",
        "S11": "instruction, 400 × 8, lr 5e-4", "E13": "end-to-end, 150 × 4, lr 1e-4"}
lines = open(old).read().splitlines()
times = dict(l.split("\t") for l in open("pub8/times.tsv").read().splitlines())
head = (f"First 120 test questions (N = 20 candidates, entities never seen in training), k = 1; training wall time "
        f"{sum(int(v) for v in times.values()) / 60:.0f} min over all stages of runs 3-8 (shared 2-core machine). "
        f"Each step's settings: logs/train-STEP.log and docs/default-model.md.")
rows = [l for l in lines[1:] if l.startswith("|") and not l.startswith("| BM25")]
rows = [r.replace(": **the published model**", " (run 7's published model; run 8 goes on from it)") for r in rows]
f = lambda v: "-" if v is None else f"{v:.3f}"
def row(text, name, stage):
    try:
        r = json.load(open(f"pub8/eval/{name}.json"))
    except FileNotFoundError:
        return None
    minutes = f"{int(times[stage]) / 60:.1f}" if stage in times else ""
    return f"| {text} | {f(r['recall_at_1'])} | {f(r['exact_match'])} | {f(r['f1'])} | {minutes} |"
new = [row(f"+ {s}: {what[s]}", f"stage3-{s}", f"train-{s}") for s in steps]
new += [row(f"+ {final}: {what[final]}: **the published model**", "stage4-e2e", f"train-{final}"),
        row(f"BM25 top-1 (no training) + {final}'s generator", "bm25-final", "")]
print(head + "\n")
print("\n".join(rows + [r for r in new if r]))
PY
cat pub8/results.md | tail -14; cat pub8/times.tsv | tail -3
