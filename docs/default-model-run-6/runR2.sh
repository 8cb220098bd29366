#!/bin/bash
C="dotnet /tmp/clara-bin2/clara.dll"
cd /tmp/mem
date > R2.log
$C train rank --model /tmp/mem/R1in --data /work/wt/recipe2/artifacts/default-model/data/train/e2e.jsonl --out /tmp/mem/R2 --steps 300 --lr 2e-3 --temperature 0.1 --warmup 10 --batch 4   --clip 1.0 --weight-decay 0.01 --seed 2517 --eval /work/wt/recipe2/artifacts/default-model/data/validation/e2e-small.jsonl --eval-every 50 --save-every 50 --threads 2 > R2.train.log 2>&1
echo "exit $?" >> R2.log; date >> R2.log
$C eval --json --no-answers --model /tmp/mem/R2 --data /work/wt/recipe2/artifacts/default-model/data/eval/test.jsonl --threads 2 --limit 120 > R2-eval.json 2> R2-eval.err
date >> R2.log
