#!/bin/bash
C="dotnet /tmp/clara-bin3/clara.dll"
R=/work/wt/recipe2/artifacts/default-model/data
cd /tmp/j
date > J1.log
$C train rank --model /tmp/mem/R1 --adapters query_reasoner_adapter,encoder_adapter --data $R/train/e2e.jsonl --out /tmp/j/J1 --steps 300 --lr 5e-4 --warmup 10 --batch 4 \
  --clip 1.0 --weight-decay 0.01 --seed 2520 --eval $R/validation/e2e-small.jsonl --eval-every 50 --save-every 50 --threads 2 > J1.train.log 2>&1
echo "exit $?" >> J1.log; date >> J1.log
