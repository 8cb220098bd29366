#!/bin/bash
# run 8, first chain (an experiment from the published E11 = samples/default-model of run 7): 4 more fine-alternation
# turns (SCP on whole-document questions, compressor + generator, 300 × 8; joint rank 75 × 4), instruction, e2e
C="dotnet /tmp/x/clara-bin/clara.dll"
D=/tmp/x/data
cd /tmp/x
log() { echo "[$(date -u +%H:%M:%S)] $*" >> chain.log; }
ev() { $C eval --json --max-new-tokens 16 --k 1 --model $1 --data $D/eval/test.jsonl --threads 2 "${@:3}" > ev-$2.json 2> ev-$2.err; log "eval $2: $(/usr/bin/python3 -c "import json; r=json.load(open('ev-$2.json')); print({k:round(v,3) for k,v in r.items() if k in ('questions','recall_at_1','exact_match')})")"; }
tr() { local name=$1; shift; local t0=$(date +%s); $C train "$@" --clip 1.0 --weight-decay 0.01 --threads 2 > $name.train.log 2>&1; log "$name exit $? ($(( $(date +%s) - t0 )) s)"; }
from=/work/main/samples/default-model
for i in 5 6 7 8; do
  tr A$i scp --model $from --data $D/train/scp-doc.jsonl --out /tmp/x/A$i --steps 300 --lr 5e-4 --warmup 10 --batch 8 --seed $((2540 + i)) --save-every 300
  tr B$i rank --model /tmp/x/A$i --adapters query_reasoner_adapter,encoder_adapter --data $D/train/e2e.jsonl --out /tmp/x/B$i --steps 75 --lr 3e-4 --warmup 5 --batch 4 --seed $((2550 + i)) --save-every 75
  ev B$i B$i --limit 120
  from=/tmp/x/B$i
done
tr S10 scp --model $from --adapters decoder_adapter --data $D/train/scp-doc.jsonl --out /tmp/x/S10 --steps 400 --lr 5e-4 --warmup 20 --batch 8 --seed 2561 --save-every 400
ev S10 S10 --limit 120
tr E12 e2e --model /tmp/x/S10 --data $D/train/e2e.jsonl --k 1 --out /tmp/x/E12 --steps 150 --lr 1e-4 --warmup 10 --batch 4 --seed 2571 --save-every 150
ev E12 E12-full
ev S10 S10-full
log "chain done"
