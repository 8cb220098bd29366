#!/bin/bash
# experiment (not published): does a longer end-to-end stage move the reranker? E10 = e2e from S8, 600 × 4 (E9: 150)
C="dotnet /tmp/clara-bin3/clara.dll"
R=/work/wt/recipe2/artifacts/default-model/data
cd /tmp/j
log() { echo "[$(date -u +%H:%M:%S)] $*" >> chain.log; }
ev() { $C eval --json --max-new-tokens 16 --k 1 --model $1 --data $R/eval/test.jsonl --threads 2 "${@:3}" > ev-$2.json 2> ev-$2.err; log "eval $2: $(/usr/bin/python3 -c "import json; r=json.load(open('ev-$2.json')); print({k:round(v,3) for k,v in r.items() if k in ('questions','recall_at_1','exact_match')})")"; }
tr() { local name=$1; shift; $C train "$@" --clip 1.0 --weight-decay 0.01 --threads 2 > $name.train.log 2>&1; log "$name exit $?"; }
tr E10 e2e --model /tmp/j/S8 --data $R/train/e2e.jsonl --k 1 --out /tmp/j/E10 --steps 600 --lr 1e-4 --warmup 10 --batch 4 --seed 2539 --eval $R/validation/e2e-small.jsonl --eval-every 150 --save-every 150
ev E10 E10-full
log "chain8 done"
