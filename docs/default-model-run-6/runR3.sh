#!/bin/bash
C="dotnet /tmp/clara-bin2/clara.dll"
cd /tmp/mem
date > R3.log
$C train rank --model /tmp/mem/R3in --data /work/wt/recipe2/artifacts/default-model/data/train/e2e.jsonl --out /tmp/mem/R3 --steps 600 --lr 1e-3 --warmup 10 --batch 4   --clip 1.0 --weight-decay 0.01 --seed 2518 --eval /work/wt/recipe2/artifacts/default-model/data/validation/e2e-small.jsonl --eval-every 200 --save-every 100 --threads 2 > R3.train.log 2>&1
echo "exit $?" >> R3.log; date >> R3.log
$C eval --json --no-answers --model /tmp/mem/R3 --data /work/wt/recipe2/artifacts/default-model/data/eval/test.jsonl --threads 2 --limit 120 > R3-eval.json 2> R3-eval.err
date >> R3.log
