#!/bin/bash
# Lays run 6's chain out as tools/publish-default-model.sh expects a recipe output (pub/):
#   stage1-lm (run 3) -> stage1b-read (run 4) -> stage2-scp (run 5: rescale, C, D, D2; query reasoner = compressor)
#   -> stage2b-rank (run 6: R1) -> stage4-e2e (run 6: E6), with clara.json top_k = 1 in every published stage.
set -euo pipefail
cd /tmp/mem
A=/work/wt/recipe2/artifacts/default-model
rm -rf pub && mkdir -p pub/eval pub/logs
ln -s $A/data pub/data
ln -s $A/stage1-lm pub/stage1-lm
ln -s /tmp/read/read-lm pub/stage1b-read
for pair in "R0 stage2-scp" "R1 stage2b-rank" "E6 stage4-e2e"; do
  set -- $pair
  cp -r $1 pub/$2 && rm -rf pub/$2/checkpoint
  /usr/bin/python3 - pub/$2/clara.json <<'PY'
import json, sys
p = sys.argv[1]; c = json.load(open(p)); c["top_k"] = 1
open(p, "w").write(json.dumps(c, indent=2) + "\n")
PY
done
cp D2/metrics.jsonl pub/stage2-scp/metrics.jsonl
cp ev6-scp.json pub/eval/stage2-scp.json
cp ev6-rank.json pub/eval/stage2b-rank.json
cp ev6-e2e.json pub/eval/stage4-e2e.json
cp ev6-bm25.json pub/eval/bm25-final.json
cp $A/logs/train-lm.log pub/logs/
cp /tmp/read/train.log pub/logs/train-read.log
for s in C D D2; do cp $s.train.log pub/logs/train-scp-$s.log; done
cp R.train.log pub/logs/train-rank.log
cp E6.train.log pub/logs/train-e2e.log
cp after6.log pub/logs/evaluations.log
{
  for pair in "train-lm $A/stage1-lm" "train-read /tmp/read/read-lm" "train-scp-C C" "train-scp-D D" "train-scp-D2 D2" "train-rank R1" "train-e2e E6"; do
    set -- $pair
    printf '%s\t%.0f\n' $1 "$(grep '"elapsed_s"' $2/metrics.jsonl | tail -1 | /usr/bin/python3 -c 'import json,sys; print(json.loads(sys.stdin.read())["elapsed_s"])')"
  done
} > pub/times.tsv
/usr/bin/python3 - <<'PY' > pub/results.md
import json
rows = [("SCP (rescaled memory; C, D, D2: 2750 updates), query reasoner = compressor", "stage2-scp"),
        ("+ query reasoner warm start (rank, 200 updates): the published model", "stage2b-rank"),
        ("+ end-to-end (150 updates, query reasoner only, tau 0.1)", "stage4-e2e"),
        ("BM25 top-1 (no training) + the final generator", "bm25-final")]
f = lambda v: "-" if v is None else f"{v:.3f}"
times = dict(l.split("\t") for l in open("pub/times.tsv").read().splitlines())
print(f"First 120 test questions (N = 20 candidates, entities never seen in training), k = 1; training wall time "
      f"{sum(int(v) for v in times.values()) / 60:.0f} min over all stages (shared 2-core machine).\n")
print("| model | recall@1 | EM | F1 |\n|---|---|---|---|")
for label, name in rows:
    r = json.load(open(f"pub/eval/{name}.json"))
    print(f"| {label} | {f(r['recall_at_1'])} | {f(r['exact_match'])} | {f(r['f1'])} |")
PY
cat pub/results.md pub/times.tsv
