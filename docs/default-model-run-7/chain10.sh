#!/bin/bash
# after chain9: e2e from S9 (as E9 from S8), and the whole test split for S9 and E11
C="dotnet /tmp/clara-bin3/clara.dll"
R=/work/wt/recipe2/artifacts/default-model/data
cd /tmp/j
log() { echo "[$(date -u +%H:%M:%S)] $*" >> chain.log; }
ev() { $C eval --json --max-new-tokens 16 --k 1 --model $1 --data $R/eval/test.jsonl --threads 2 "${@:3}" > ev-$2.json 2> ev-$2.err; log "eval $2: $(/usr/bin/python3 -c "import json; r=json.load(open('ev-$2.json')); print({k:round(v,3) for k,v in r.items() if k in ('questions','recall_at_1','exact_match')})")"; }
tr() { local name=$1; shift; $C train "$@" --clip 1.0 --weight-decay 0.01 --threads 2 > $name.train.log 2>&1; log "$name exit $?"; }
while ! grep -q "chain9 done" chain.log; do sleep 5; done
tr E11 e2e --model /tmp/j/S9 --data $R/train/e2e.jsonl --k 1 --out /tmp/j/E11 --steps 150 --lr 1e-4 --warmup 10 --batch 4 --seed 2561 --eval $R/validation/e2e-small.jsonl --eval-every 50 --save-every 50
ev E11 E11 --limit 120
ev E11 E11-full
ev S9 S9-full
ev E11 E11-bm25 --limit 120 --baseline bm25
ev E11 E11-full-bm25 --baseline bm25
log "chain10 done"
