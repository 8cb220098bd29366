#!/bin/bash
# experiment (not published): fine alternation instead of a cycle: 4 × (SCP with compressor + generator, 300 × 8;
# joint rank, 75 × 4), then instruction 400 × 8; from S8. Does reading grow without the big recall drop?
C="dotnet /tmp/clara-bin3/clara.dll"
R=/work/wt/recipe2/artifacts/default-model/data
cd /tmp/j
log() { echo "[$(date -u +%H:%M:%S)] $*" >> chain.log; }
ev() { $C eval --json --max-new-tokens 16 --k 1 --model $1 --data $R/eval/test.jsonl --threads 2 --limit 120 "${@:3}" > ev-$2.json 2> ev-$2.err; log "eval $2: $(/usr/bin/python3 -c "import json; r=json.load(open('ev-$2.json')); print({k:round(v,3) for k,v in r.items() if k in ('recall_at_1','exact_match')})")"; }
tr() { local name=$1; shift; $C train "$@" --clip 1.0 --weight-decay 0.01 --threads 2 > $name.train.log 2>&1; log "$name exit $?"; }
from=/tmp/j/S8
for i in 1 2 3 4; do
  tr A$i scp --model $from --data scp-qa.jsonl --out /tmp/j/A$i --steps 300 --lr 5e-4 --warmup 10 --batch 8 --seed $((2540 + i)) --save-every 300
  tr B$i rank --model /tmp/j/A$i --adapters query_reasoner_adapter,encoder_adapter --data $R/train/e2e.jsonl --out /tmp/j/B$i --steps 75 --lr 3e-4 --warmup 5 --batch 4 --seed $((2550 + i)) --save-every 75
  ev B$i B$i
  from=/tmp/j/B$i
done
tr S9 scp --model $from --adapters decoder_adapter --data scp-qa.jsonl --out /tmp/j/S9 --steps 400 --lr 5e-4 --warmup 20 --batch 8 --seed 2560 --save-every 400
ev S9 S9; ev S9 S9-bm25 --baseline bm25
log "chain9 done"
