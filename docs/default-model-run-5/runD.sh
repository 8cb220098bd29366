#!/bin/bash
C="dotnet /tmp/clara-bin/clara.dll"
cd /tmp/mem
date > D.log
$C train scp --model /tmp/mem/D0 --data scp-mix.jsonl --out /tmp/mem/D --steps 1500 --lr 1e-3 --warmup 20 --batch 8 \
  --clip 1.0 --weight-decay 0.01 --seed 2513 --eval scp-mix-val.jsonl --eval-every 250 --save-every 250 --threads 2 > D.train.log 2>&1
echo "exit $?" >> D.log; date >> D.log
