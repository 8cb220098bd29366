#!/bin/bash
# Lays run 7's chain out as tools/publish-default-model.sh expects a recipe output (pub7/):
#   run 6's chain (stage1-lm, stage1b-read, stage2-scp = R0, stage2b-rank = R1) -> run 7's steps (runJ1.sh, chain2-10.sh)
#   as stage3-<step> -> stage4-e2e (the final end-to-end step), with clara.json top_k = 1 in the published stage.
# usage: assemble.sh FINAL BM25-GENERATOR STEP...   (FINAL the published e2e step, e.g. E8; BM25-GENERATOR the step whose
#        BM25 evaluation is the table's BM25 row; the STEPs in chain order, side branches included)
# The whole-document question lines (scp-qa.jsonl here; scp-doc.jsonl in the recipe) are the e2e lines' gold documents:
#   {"document": docs[gold], "question": question, "target": answer}, the validation ones the first 96 of validation/e2e.
set -euo pipefail
cd /tmp/j
A=/work/wt/recipe2/artifacts/default-model
P6=/tmp/mem/pub
final=$1 bm25=$2; shift 2
steps="$*"
rm -rf pub7 && mkdir -p pub7/eval pub7/logs
ln -s $A/data pub7/data
for s in stage1-lm stage1b-read stage2-scp stage2b-rank; do ln -s $P6/$s pub7/$s; done
for s in $steps; do ln -s /tmp/j/$s pub7/stage3-$s; done
cp -r $final pub7/stage4-e2e && rm -rf pub7/stage4-e2e/checkpoint
/usr/bin/python3 - pub7/stage4-e2e/clara.json <<'PY'
import json, sys
p = sys.argv[1]; c = json.load(open(p)); c["top_k"] = 1
open(p, "w").write(json.dumps(c, indent=2) + "\n")
PY
cp $P6/eval/stage2-scp.json $P6/eval/stage2b-rank.json pub7/eval/
for s in $steps; do [ -f ev-$s.json ] && cp ev-$s.json pub7/eval/stage3-$s.json; done   # A1-A4 were not evaluated
cp ev-$final.json pub7/eval/stage4-e2e.json
cp ev-$bm25-bm25.json pub7/eval/bm25-final.json
for l in train-lm train-read train-scp-C train-scp-D train-scp-D2 train-rank evaluations; do cp $P6/logs/$l.log pub7/logs/run6-$l.log; done
for s in $steps $final; do cp $s.train.log pub7/logs/train-$s.log; done
cp chain.log pub7/logs/evaluations.log
elapsed() { grep '"elapsed_s"' "$1/metrics.jsonl" | tail -1 | /usr/bin/python3 -c 'import json,sys; print(round(json.loads(sys.stdin.read())["elapsed_s"]))'; }
{ cat $P6/times.tsv | grep -v train-e2e | sed 's/^/run6-/'
  for s in $steps $final; do printf 'train-%s\t%s\n' $s "$(elapsed /tmp/j/$s)"; done; } > pub7/times.tsv
/usr/bin/python3 - "$final" "$bm25" $steps <<'PY' > pub7/results.md
import json, sys
final, bm25, steps = sys.argv[1], sys.argv[2], sys.argv[3:]
what = {"J1": "rank, compressor + query reasoner, 300 × 4, lr 5e-4",
        "S1": "instruction (generator only, k = 1) on run 6's SCP mix, 400 × 8",
        "J2": "rank, compressor + query reasoner, 500 × 4, lr 5e-4",
        "S2": "instruction, 500 × 8, lr 7e-4",
        "E7": "end-to-end, 150 × 4, lr 1e-4 (a side branch: the chain goes on from S2)",
        "S3": "SCP on whole-document questions, compressor + generator, 1200 × 8, lr 7e-4",
        "J3": "rank, compressor + query reasoner, 300 × 4, lr 3e-4",
        "S4": "instruction, 400 × 8, lr 5e-4",
        "S5": "SCP on whole-document questions, compressor + generator, 1200 × 8, lr 5e-4",
        "Q5": "rank, query reasoner only, 300 × 4, lr 5e-4",
        "Q6": "rank, query reasoner only, 400 × 4, lr 5e-4",
        "S6": "instruction, 400 × 8, lr 5e-4",
        "E8": "end-to-end, 150 × 4, lr 1e-4 (published first; a side branch: the chain goes on from S6)",
        "S7": "SCP on whole-document questions, compressor + generator, 1200 × 8, lr 5e-4",
        "Q7": "rank, query reasoner only, 600 × 4, lr 5e-4",
        "J7": "rank, compressor + query reasoner, 300 × 4, lr 3e-4",
        "S8": "instruction, 400 × 8, lr 5e-4",
        "E9": "end-to-end, 150 × 4, lr 1e-4 (published second; a side branch: the chain goes on from S8)",
        **{f"A{i}": f"fine alternation {i} of 4: SCP on whole-document questions, compressor + generator, 300 × 8, lr 5e-4" for i in range(1, 5)},
        **{f"B{i}": f"fine alternation {i} of 4: rank, compressor + query reasoner, 75 × 4, lr 3e-4" for i in range(1, 5)},
        "S9": "instruction, 400 × 8, lr 5e-4",
        "E11": "end-to-end, 150 × 4, lr 1e-4"}
rows = [("SCP (rescaled memory; run 5's C, D, D2: 2750 updates), query reasoner = compressor", "stage2-scp", ""),
        ("+ rank, query reasoner only (run 6's R1, 200 × 4): the model published before run 7", "stage2b-rank", "run6-train-rank")]
rows += [(f"+ {s}: {what[s]}", f"stage3-{s}", f"train-{s}") for s in steps]
rows += [(f"+ {final}: {what[final]}: **the published model**", "stage4-e2e", f"train-{final}"),
         (f"BM25 top-1 (no training) + {bm25}'s generator", "bm25-final", "")]
f = lambda v: "-" if v is None else f"{v:.3f}"
times = dict(l.split("\t") for l in open("pub7/times.tsv").read().splitlines())
print(f"First 120 test questions (N = 20 candidates, entities never seen in training), k = 1; training wall time "
      f"{sum(int(v) for v in times.values()) / 60:.0f} min over all stages of runs 3-7 (shared 2-core machine). "
      f"Each step's settings: logs/train-STEP.log and docs/default-model.md.\n")
print("| model | recall@1 | EM | F1 | training min |\n|---|---|---|---|---|")
for text, name, stage in rows:
    try:
        r = json.load(open(f"pub7/eval/{name}.json"))
    except FileNotFoundError:
        continue
    minutes = f"{int(times[stage]) / 60:.1f}" if stage in times else ""
    print(f"| {text} | {f(r['recall_at_1'])} | {f(r['exact_match'])} | {f(r['f1'])} | {minutes} |")
PY
cat pub7/results.md pub7/times.tsv
