#!/bin/bash
C="dotnet /tmp/clara-bin2/clara.dll"
cd /tmp/mem
date > R.log
$C train rank --model /tmp/mem/R0 --data /work/wt/recipe2/artifacts/default-model/data/train/e2e.jsonl --out /tmp/mem/R1 --steps 200 --lr 1e-3 --warmup 10 --batch 4   --clip 1.0 --weight-decay 0.01 --seed 2516 --eval /work/wt/recipe2/artifacts/default-model/data/validation/e2e-small.jsonl --eval-every 50 --save-every 50 --threads 2 > R.train.log 2>&1
echo "exit $?" >> R.log; date >> R.log
$C eval --json --no-answers --model /tmp/mem/R1 --data /work/wt/recipe2/artifacts/default-model/data/eval/test.jsonl --threads 2 --limit 120 > R1-eval.json 2> R1-eval.err
date >> R.log
