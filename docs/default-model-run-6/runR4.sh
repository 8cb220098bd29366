#!/bin/bash
C="dotnet /tmp/clara-bin2/clara.dll"
R=/work/wt/recipe2/artifacts/default-model/data
cd /tmp/mem
date > R4.log
$C train rank --model /tmp/mem/R0 --data $R/train/e2e.jsonl --out /tmp/mem/R4 --steps 300 --lr 3e-4 --warmup 10 --batch 8 \
  --clip 1.0 --weight-decay 0.01 --seed 2520 --eval $R/validation/e2e-small.jsonl --eval-every 100 --save-every 100 --threads 2 > R4.train.log 2>&1
echo "exit $?" >> R4.log; date >> R4.log
$C eval --json --max-new-tokens 16 --k 1 --model /tmp/mem/R4 --data $R/eval/test.jsonl --threads 2 --limit 120 > ev6-R4.json 2> ev6-R4.err
date >> R4.log
