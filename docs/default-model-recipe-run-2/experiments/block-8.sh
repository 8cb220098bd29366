#!/usr/bin/env bash
# An eighth block of scp-rank after the recipe's seventh (outside the recipe), with the recipe's block settings and the
# next seed, run from the recipe's worktree; scored on the test and validation splits (docs/default-model.md).
set -u
D=/work/recipe-v2/data
C=(dotnet src/Clara.Cli/bin/Release/net10.0/clara.dll)
"${C[@]}" train scp-rank --model /work/recipe-v2/stage4-scp-rank7 --data $D/train/e2e-5.jsonl --eval $D/validation/e2e-5-small.jsonl \
  --eval-every 0 --out /work/x/B8 --steps 1200 --lr 5e-4 --warmup 20 --batch 8 --seed 2519 --threads 2 --clip 1.0 --weight-decay 0.01 \
  --save-every 500 > /work/x/B8.log 2>&1
"${C[@]}" eval --json --max-new-tokens 16 --model /work/x/B8 --data $D/eval/test.jsonl --threads 2 > /work/x/ev-B8.json 2>/dev/null
"${C[@]}" eval --json --max-new-tokens 16 --model /work/x/B8 --data $D/eval/validation.jsonl --threads 2 > /work/x/ev-B8-val.json 2>/dev/null
