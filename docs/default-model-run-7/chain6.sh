#!/bin/bash
# cycle 2 continued from Q5 (query reasoner alone keeps the reading: recall 0.858, EM 0.533): more query-reasoner-only
# rank, instruction (generator only), e2e; then cycle 3: SCP both -> query-only rank -> instruction -> e2e
C="dotnet /tmp/clara-bin3/clara.dll"
R=/work/wt/recipe2/artifacts/default-model/data
cd /tmp/j
log() { echo "[$(date -u +%H:%M:%S)] $*" >> chain.log; }
ev() { $C eval --json --max-new-tokens 16 --k 1 --model $1 --data $R/eval/test.jsonl --threads 2 --limit 120 "${@:3}" > ev-$2.json 2> ev-$2.err; log "eval $2: $(/usr/bin/python3 -c "import json; r=json.load(open('ev-$2.json')); print({k:round(v,3) for k,v in r.items() if k in ('recall_at_1','exact_match')})")"; }
tr() { local name=$1; shift; $C train "$@" --clip 1.0 --weight-decay 0.01 --threads 2 > $name.train.log 2>&1; log "$name exit $?"; }
tr Q6 rank --model /tmp/j/Q5 --data $R/train/e2e.jsonl --out /tmp/j/Q6 --steps 400 --lr 5e-4 --warmup 10 --batch 4 --seed 2533 --eval $R/validation/e2e-small.jsonl --eval-every 100 --save-every 100
ev Q6 Q6
tr S6 scp --model /tmp/j/Q6 --adapters decoder_adapter --data scp-qa.jsonl --out /tmp/j/S6 --steps 400 --lr 5e-4 --warmup 20 --batch 8 --seed 2531 --eval scp-qa-val.jsonl --eval-every 200 --save-every 200
ev S6 S6; ev S6 S6-bm25 --baseline bm25
tr E8 e2e --model /tmp/j/S6 --data $R/train/e2e.jsonl --k 1 --out /tmp/j/E8 --steps 150 --lr 1e-4 --warmup 10 --batch 4 --seed 2532 --eval $R/validation/e2e-small.jsonl --eval-every 50 --save-every 50
ev E8 E8
log "cycle 2 done"
tr S7 scp --model /tmp/j/S6 --data scp-qa.jsonl --out /tmp/j/S7 --steps 1200 --lr 5e-4 --warmup 20 --batch 8 --seed 2534 --eval scp-qa-val.jsonl --eval-every 300 --save-every 300
ev S7 S7; ev S7 S7-bm25 --baseline bm25
tr Q7 rank --model /tmp/j/S7 --data $R/train/e2e.jsonl --out /tmp/j/Q7 --steps 600 --lr 5e-4 --warmup 10 --batch 4 --seed 2535 --eval $R/validation/e2e-small.jsonl --eval-every 100 --save-every 100
ev Q7 Q7
tr S8 scp --model /tmp/j/Q7 --adapters decoder_adapter --data scp-qa.jsonl --out /tmp/j/S8 --steps 300 --lr 3e-4 --warmup 20 --batch 8 --seed 2536 --eval scp-qa-val.jsonl --eval-every 150 --save-every 150
ev S8 S8; ev S8 S8-bm25 --baseline bm25
tr E9 e2e --model /tmp/j/S8 --data $R/train/e2e.jsonl --k 1 --out /tmp/j/E9 --steps 150 --lr 1e-4 --warmup 10 --batch 4 --seed 2537 --eval $R/validation/e2e-small.jsonl --eval-every 50 --save-every 50
ev E9 E9
log "chain6 done"
