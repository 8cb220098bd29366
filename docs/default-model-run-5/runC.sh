#!/bin/bash
C="dotnet /tmp/clara-bin/clara.dll"
cd /tmp/mem
date > C.log
$C train scp --model /tmp/mem/C0 --data scp-read.jsonl --out /tmp/mem/C --steps 1500 --lr 1e-3 --warmup 20 --batch 8 \
  --clip 1.0 --weight-decay 0.01 --seed 2513 --eval scp-read-val.jsonl --eval-every 250 --save-every 250 --threads 2 > C.train.log 2>&1
echo "exit $?" >> C.log; date >> C.log
