#!/bin/bash
C="dotnet /tmp/clara-bin/clara.dll"
cd /tmp/mem
date > D3.log
$C train scp --model /tmp/mem/D3in --data scp-mix.jsonl --out /tmp/mem/D3 --steps 2000 --lr 7e-4 --warmup 20 --batch 8 \
  --clip 1.0 --weight-decay 0.01 --seed 2515 --eval scp-mix-val.jsonl --eval-every 500 --save-every 250 --threads 2 > D3.train.log 2>&1
echo "exit $?" >> D3.log; date >> D3.log
