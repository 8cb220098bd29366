#!/bin/bash
# after J1: evaluate, then re-teach the generator to read the new memories (compressor frozen), evaluate again
C="dotnet /tmp/clara-bin3/clara.dll"
R=/work/wt/recipe2/artifacts/default-model/data
cd /tmp/j
log() { echo "[$(date -u +%H:%M:%S)] $*" >> chain.log; }
ev() { $C eval --json --max-new-tokens 16 --k 1 --model $1 --data $R/eval/test.jsonl --threads 2 --limit 120 "${@:3}" > ev-$2.json 2> ev-$2.err; log "eval $2: $(/usr/bin/python3 -c "import json; r=json.load(open('ev-$2.json')); print({k:v for k,v in r.items() if k!='picks'})")"; }
while pgrep -f "out /tmp/j/J1 " > /dev/null; do sleep 10; done
log "J1 done"
ev J1 J1
$C train scp --model /tmp/j/J1 --adapters decoder_adapter --data /tmp/mem/scp-mix.jsonl --out /tmp/j/S1 --steps 400 --lr 1e-3 --warmup 20 --batch 8 \
  --clip 1.0 --weight-decay 0.01 --seed 2521 --eval /tmp/mem/scp-mix-val.jsonl --eval-every 200 --save-every 100 --threads 2 > S1.train.log 2>&1
log "S1 exit $?"
ev S1 S1
