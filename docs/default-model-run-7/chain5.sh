#!/bin/bash
# cycle 2 from S4: SCP both adapters (reading) -> rank query reasoner only (does retrieval recover without moving the
# compressor?) -> joint rank if it did not -> generator-only reread -> e2e
C="dotnet /tmp/clara-bin3/clara.dll"
R=/work/wt/recipe2/artifacts/default-model/data
cd /tmp/j
log() { echo "[$(date -u +%H:%M:%S)] $*" >> chain.log; }
ev() { $C eval --json --max-new-tokens 16 --k 1 --model $1 --data $R/eval/test.jsonl --threads 2 --limit 120 "${@:3}" > ev-$2.json 2> ev-$2.err; log "eval $2: $(/usr/bin/python3 -c "import json; r=json.load(open('ev-$2.json')); print({k:round(v,3) for k,v in r.items() if k in ('recall_at_1','exact_match')})")"; }
r1() { /usr/bin/python3 -c "import json; print(json.load(open('ev-$1.json'))['recall_at_1'])"; }
tr() { local name=$1; shift; $C train "$@" --clip 1.0 --weight-decay 0.01 --threads 2 > $name.train.log 2>&1; log "$name exit $?"; }
tr S5 scp --model /work/wt/S4 --data scp-qa.jsonl --out /tmp/j/S5 --steps 1200 --lr 5e-4 --warmup 20 --batch 8 --seed 2528 --eval scp-qa-val.jsonl --eval-every 300 --save-every 300
ev S5 S5; ev S5 S5-bm25 --baseline bm25
tr Q5 rank --model /tmp/j/S5 --data $R/train/e2e.jsonl --out /tmp/j/Q5 --steps 300 --lr 5e-4 --warmup 10 --batch 4 --seed 2529 --eval $R/validation/e2e-small.jsonl --eval-every 100 --save-every 100
ev Q5 Q5
src=Q5
if /usr/bin/python3 -c "import sys; sys.exit(0 if $(r1 Q5) >= 0.9 else 1)"; then :; else
  tr J5 rank --model /tmp/j/Q5 --adapters query_reasoner_adapter,encoder_adapter --data $R/train/e2e.jsonl --out /tmp/j/J5 --steps 300 --lr 3e-4 --warmup 10 --batch 4 --seed 2530 --eval $R/validation/e2e-small.jsonl --eval-every 100 --save-every 100
  ev J5 J5; src=J5
fi
tr S6 scp --model /tmp/j/$src --adapters decoder_adapter --data scp-qa.jsonl --out /tmp/j/S6 --steps 400 --lr 5e-4 --warmup 20 --batch 8 --seed 2531 --eval scp-qa-val.jsonl --eval-every 200 --save-every 200
ev S6 S6; ev S6 S6-bm25 --baseline bm25
tr E8 e2e --model /tmp/j/S6 --data $R/train/e2e.jsonl --k 1 --out /tmp/j/E8 --steps 150 --lr 1e-4 --warmup 10 --batch 4 --seed 2532 --eval $R/validation/e2e-small.jsonl --eval-every 50 --save-every 50
ev E8 E8
log "chain5 done"
