#!/bin/bash
# run 6 after the rank warm start: evaluations at k = 1 and a short end-to-end stage
C="dotnet /tmp/clara-bin2/clara.dll"
R=/work/wt/recipe2/artifacts/default-model/data
cd /tmp/mem
log() { echo "[$(date -u +%H:%M:%S)] $*" >> after6.log; }
ev() { $C eval --json --max-new-tokens 16 --k 1 --model $1 --data $R/eval/test.jsonl --threads 2 --limit 120 "${@:3}" > ev6-$2.json 2> ev6-$2.err; log "eval $2: $(/usr/bin/python3 -c "import json; r=json.load(open('ev6-$2.json')); print({k:v for k,v in r.items() if k!='picks'})")"; }
ev R3 rank
$C train e2e --model R3 --data $R/train/e2e.jsonl --k 1 --out /tmp/mem/E6 --steps 150 --lr 3e-4 --warmup 10 --batch 4 \
  --clip 1.0 --weight-decay 0.01 --seed 2519 --eval $R/validation/e2e-small.jsonl --eval-every 50 --save-every 50 --threads 2 > E6.train.log 2>&1
log "e2e exit $?"
ev E6 e2e
ev E6 bm25-e2e --baseline bm25
ev R0 scp
