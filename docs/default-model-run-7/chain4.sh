#!/bin/bash
# reading: SCP on whole-document questions with compressor + generator, then restore retrieval (joint rank),
# re-read (generator only), then e2e
C="dotnet /tmp/clara-bin3/clara.dll"
R=/work/wt/recipe2/artifacts/default-model/data
cd /tmp/j
log() { echo "[$(date -u +%H:%M:%S)] $*" >> chain.log; }
ev() { $C eval --json --max-new-tokens 16 --k 1 --model $1 --data $R/eval/test.jsonl --threads 2 --limit 120 "${@:3}" > ev-$2.json 2> ev-$2.err; log "eval $2: $(/usr/bin/python3 -c "import json; r=json.load(open('ev-$2.json')); print({k:round(v,3) for k,v in r.items() if k in ('recall_at_1','exact_match')})")"; }
tr() { local name=$1; shift; $C train "$@" --clip 1.0 --weight-decay 0.01 --threads 2 > $name.train.log 2>&1; log "$name exit $?"; }
while pgrep -f "chain3.sh" > /dev/null; do sleep 10; done
tr S3 scp --model /tmp/j/S2 --data scp-qa.jsonl --out /tmp/j/S3 --steps 1200 --lr 7e-4 --warmup 20 --batch 8 --seed 2525 --eval scp-qa-val.jsonl --eval-every 300 --save-every 300
ev S3 S3; ev S3 S3-bm25 --baseline bm25
tr J3 rank --model /tmp/j/S3 --adapters query_reasoner_adapter,encoder_adapter --data $R/train/e2e.jsonl --out /tmp/j/J3 --steps 300 --lr 3e-4 --warmup 10 --batch 4 --seed 2526 --eval $R/validation/e2e-small.jsonl --eval-every 100 --save-every 100
ev J3 J3
tr S4 scp --model /tmp/j/J3 --adapters decoder_adapter --data scp-qa.jsonl --out /tmp/j/S4 --steps 400 --lr 5e-4 --warmup 20 --batch 8 --seed 2527 --eval scp-qa-val.jsonl --eval-every 200 --save-every 200
ev S4 S4; ev S4 S4-bm25 --baseline bm25
