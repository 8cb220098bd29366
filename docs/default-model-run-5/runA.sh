#!/bin/bash
C="dotnet /tmp/clara-bin/clara.dll"
cd /tmp/mem
date > A.log
$C train scp --model /tmp/read/read-scp2 --data scp-read.jsonl --out /tmp/mem/A --steps 2000 --lr 1e-3 --warmup 20 --batch 8 \
  --clip 1.0 --weight-decay 0.01 --seed 2513 --eval scp-read-val.jsonl --eval-every 250 --save-every 250 --threads 2 > A.train.log 2>&1
echo "exit $?" >> A.log; date >> A.log
