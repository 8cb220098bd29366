#!/bin/bash
# run 8, second chain (from E12): 4 more fine-alternation turns, instruction, e2e
C="dotnet /tmp/x/clara-bin/clara.dll"
D=/tmp/x/data
cd /tmp/x
log() { echo "[$(date -u +%H:%M:%S)] $*" >> chain.log; }
ev() { $C eval --json --max-new-tokens 16 --k 1 --model $1 --data $D/eval/test.jsonl --threads 2 "${@:3}" > ev-$2.json 2> ev-$2.err; log "eval $2: $(/usr/bin/python3 -c "import json; r=json.load(open('ev-$2.json')); print({k:round(v,3) for k,v in r.items() if k in ('questions','recall_at_1','exact_match')})")"; }
tr() { local name=$1; shift; local t0=$(date +%s); $C train "$@" --clip 1.0 --weight-decay 0.01 --threads 2 > $name.train.log 2>&1; log "$name exit $? ($(( $(date +%s) - t0 )) s)"; }
from=/tmp/x/E12
for i in 9 10 11 12; do
  tr A$i scp --model $from --data $D/train/scp-doc.jsonl --out /tmp/x/A$i --steps 300 --lr 5e-4 --warmup 10 --batch 8 --seed $((2540 + i)) --save-every 300
  tr B$i rank --model /tmp/x/A$i --adapters query_reasoner_adapter,encoder_adapter --data $D/train/e2e.jsonl --out /tmp/x/B$i --steps 75 --lr 3e-4 --warmup 5 --batch 4 --seed $((2550 + i)) --save-every 75
  ev B$i B$i --limit 120
  from=/tmp/x/B$i
done
tr S11 scp --model $from --adapters decoder_adapter --data $D/train/scp-doc.jsonl --out /tmp/x/S11 --steps 400 --lr 5e-4 --warmup 20 --batch 8 --seed 2562 --save-every 400
ev S11 S11 --limit 120
tr E13 e2e --model /tmp/x/S11 --data $D/train/e2e.jsonl --k 1 --out /tmp/x/E13 --steps 150 --lr 1e-4 --warmup 10 --batch 4 --seed 2572 --save-every 150
ev E13 E13-full
ev S11 S11-full
log "chain2 done"
