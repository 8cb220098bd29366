#!/bin/bash
# run 5 after SCP: warm start, instruct, e2e, with evaluations on 120 test questions
C="dotnet /tmp/clara-bin/clara.dll"
R=/work/wt/recipe2/artifacts/default-model/data
cd /tmp/mem
S=${1:-D}
log() { echo "[$(date -u +%H:%M:%S)] $*" >> after.log; }
ev() { $C eval --json --max-new-tokens 16 --model $1 --data $R/eval/test.jsonl --threads 2 --limit 120 > eval-$2.json 2> eval-$2.err; log "eval $2: $(/usr/bin/python3 -c "import json; r=json.load(open('eval-$2.json')); print({k:v for k,v in r.items() if k!='picks'})")"; }
rm -rf $S-final && cp -r $S $S-final && rm -rf $S-final/checkpoint
cp $S-final/adapters/encoder_adapter/* $S-final/adapters/query_reasoner_adapter/
log "warm start done"
ev $S-final scp
$C train instruct --model $S-final --data $R/train/instruct.jsonl --out /tmp/mem/I --steps 600 --lr 1e-3 --warmup 50 --batch 8 \
  --clip 1.0 --weight-decay 0.01 --seed 2511 --eval $R/validation/instruct-small.jsonl --eval-every 200 --save-every 200 --threads 2 > I.train.log 2>&1
log "instruct exit $?"
ev I instruct
$C train e2e --model I --data $R/train/e2e.jsonl --out /tmp/mem/E --steps 300 --lr 1e-3 --warmup 15 --batch 4 --temperature 0.1 --adapters query_reasoner_adapter \
  --clip 1.0 --weight-decay 0.01 --seed 2511 --eval $R/validation/e2e-small.jsonl --eval-every 50 --save-every 50 --threads 2 > E.train.log 2>&1
log "e2e exit $?"
ev E e2e
