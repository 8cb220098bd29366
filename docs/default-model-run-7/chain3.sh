#!/bin/bash
# after S1: more joint rank (compressor + query reasoner), re-teach the generator, then a short e2e
C="dotnet /tmp/clara-bin3/clara.dll"
R=/work/wt/recipe2/artifacts/default-model/data
cd /tmp/j
log() { echo "[$(date -u +%H:%M:%S)] $*" >> chain.log; }
ev() { $C eval --json --max-new-tokens 16 --k 1 --model $1 --data $R/eval/test.jsonl --threads 2 --limit 120 "${@:3}" > ev-$2.json 2> ev-$2.err; log "eval $2: $(/usr/bin/python3 -c "import json; r=json.load(open('ev-$2.json')); print({k:v for k,v in r.items() if k not in ('picks','data','model')})")"; }
while pgrep -f "chain2.sh" > /dev/null; do sleep 10; done
$C train rank --model /tmp/j/S1 --adapters query_reasoner_adapter,encoder_adapter --data $R/train/e2e.jsonl --out /tmp/j/J2 --steps 500 --lr 5e-4 --warmup 10 --batch 4 \
  --clip 1.0 --weight-decay 0.01 --seed 2522 --eval $R/validation/e2e-small.jsonl --eval-every 100 --save-every 100 --threads 2 > J2.train.log 2>&1
log "J2 exit $?"
ev J2 J2
$C train scp --model /tmp/j/J2 --adapters decoder_adapter --data /tmp/mem/scp-mix.jsonl --out /tmp/j/S2 --steps 500 --lr 7e-4 --warmup 20 --batch 8 \
  --clip 1.0 --weight-decay 0.01 --seed 2523 --eval /tmp/mem/scp-mix-val.jsonl --eval-every 250 --save-every 250 --threads 2 > S2.train.log 2>&1
log "S2 exit $?"
ev S2 S2
ev S2 S2-bm25 --baseline bm25
$C train e2e --model /tmp/j/S2 --data $R/train/e2e.jsonl --k 1 --out /tmp/j/E7 --steps 150 --lr 1e-4 --warmup 10 --batch 4 \
  --clip 1.0 --weight-decay 0.01 --seed 2524 --eval $R/validation/e2e-small.jsonl --eval-every 50 --save-every 50 --threads 2 > E7.train.log 2>&1
log "E7 exit $?"
ev E7 E7
