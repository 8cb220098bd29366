#!/bin/bash
# cycle 3 after Q7: the query reasoner alone did not bring recall back (validation CE 1.47 at 400 updates, against
# Q5's 0.53), so joint rank as in cycle 1, then instruction and e2e
C="dotnet /tmp/clara-bin3/clara.dll"
R=/work/wt/recipe2/artifacts/default-model/data
cd /tmp/j
log() { echo "[$(date -u +%H:%M:%S)] $*" >> chain.log; }
ev() { $C eval --json --max-new-tokens 16 --k 1 --model $1 --data $R/eval/test.jsonl --threads 2 --limit 120 "${@:3}" > ev-$2.json 2> ev-$2.err; log "eval $2: $(/usr/bin/python3 -c "import json; r=json.load(open('ev-$2.json')); print({k:round(v,3) for k,v in r.items() if k in ('recall_at_1','exact_match')})")"; }
tr() { local name=$1; shift; $C train "$@" --clip 1.0 --weight-decay 0.01 --threads 2 > $name.train.log 2>&1; log "$name exit $?"; }
while ! grep -q "eval Q7" chain.log; do sleep 5; done
pkill -f chain6.sh; sleep 1; pkill -f "out /tmp/j/S8 "; sleep 2; rm -rf /tmp/j/S8
log "chain6 stopped after Q7; chain7 goes on"
tr J7 rank --model /tmp/j/Q7 --adapters query_reasoner_adapter,encoder_adapter --data $R/train/e2e.jsonl --out /tmp/j/J7 --steps 300 --lr 3e-4 --warmup 10 --batch 4 --seed 2538 --eval $R/validation/e2e-small.jsonl --eval-every 100 --save-every 100
ev J7 J7
tr S8 scp --model /tmp/j/J7 --adapters decoder_adapter --data scp-qa.jsonl --out /tmp/j/S8 --steps 400 --lr 5e-4 --warmup 20 --batch 8 --seed 2536 --eval scp-qa-val.jsonl --eval-every 200 --save-every 200
ev S8 S8; ev S8 S8-bm25 --baseline bm25
tr E9 e2e --model /tmp/j/S8 --data $R/train/e2e.jsonl --k 1 --out /tmp/j/E9 --steps 150 --lr 1e-4 --warmup 10 --batch 4 --seed 2537 --eval $R/validation/e2e-small.jsonl --eval-every 50 --save-every 50
ev E9 E9
log "chain7 done"
