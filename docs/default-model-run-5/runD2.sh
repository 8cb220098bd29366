#!/bin/bash
C="dotnet /tmp/clara-bin/clara.dll"
cd /tmp/mem
date > D2.log
$C train scp --model /tmp/mem/D2in --data scp-mix.jsonl --out /tmp/mem/D2 --steps 1000 --lr 1e-3 --warmup 20 --batch 8 \
  --clip 1.0 --weight-decay 0.01 --seed 2514 --eval scp-mix-val.jsonl --eval-every 250 --save-every 250 --threads 2 > D2.train.log 2>&1
echo "exit $?" >> D2.log; date >> D2.log
