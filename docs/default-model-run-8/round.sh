#!/bin/bash
# One round of run 8, as run (from /tmp/x, after prepare.sh): four fine-alternation turns (SCP on whole-document
# questions, compressor + generator, 300 × 8, lr 5e-4; joint rank, compressor + query reasoner, 75 × 4, lr 3e-4), then
# instruction (generator only, 400 × 8), then end-to-end (150 × 4, k = 1, lr 1e-4), with `clara eval` after each turn
# (first 120 test questions) and on all 480 at the end.
# usage: round.sh FROM FIRST_TURN INSTRUCT_STEP E2E_STEP ROUND_SEED
#   round 2: round.sh /work/main/samples/default-model 5 S10 E12 1   (from run 7's published E11)
#   round 3: round.sh /tmp/x/E12 9 S11 E13 2                          (E13: published)
#   round 4: round.sh /tmp/x/E13 13 S12 E14 3
# Each turn's seeds are 2540 + turn (SCP) and 2550 + turn (rank); instruction 2560 + ROUND_SEED, e2e 2570 + ROUND_SEED.
set -uo pipefail
from=$1 first=$2 instruct=$3 e2e=$4 round=$5
C="dotnet /tmp/x/clara-bin/clara.dll"
D=/tmp/x/data
cd /tmp/x
log() { echo "[$(date -u +%H:%M:%S)] $*" >> chain.log; }
ev() { $C eval --json --max-new-tokens 16 --k 1 --model $1 --data $D/eval/test.jsonl --threads 2 "${@:3}" > ev-$2.json 2> ev-$2.err; log "eval $2: $(/usr/bin/python3 -c "import json; r=json.load(open('ev-$2.json')); print({k:round(v,3) for k,v in r.items() if k in ('questions','recall_at_1','exact_match')})")"; }
tr() { local name=$1; shift; local t0=$(date +%s); $C train "$@" --clip 1.0 --weight-decay 0.01 --threads 2 > $name.train.log 2>&1; log "$name exit $? ($(( $(date +%s) - t0 )) s)"; }
for i in $(seq "$first" $((first + 3))); do
  tr A$i scp --model $from --data $D/train/scp-doc.jsonl --out /tmp/x/A$i --steps 300 --lr 5e-4 --warmup 10 --batch 8 --seed $((2540 + i)) --save-every 300
  tr B$i rank --model /tmp/x/A$i --adapters query_reasoner_adapter,encoder_adapter --data $D/train/e2e.jsonl --out /tmp/x/B$i --steps 75 --lr 3e-4 --warmup 5 --batch 4 --seed $((2550 + i)) --save-every 75
  ev B$i B$i --limit 120
  from=/tmp/x/B$i
done
tr $instruct scp --model $from --adapters decoder_adapter --data $D/train/scp-doc.jsonl --out /tmp/x/$instruct --steps 400 --lr 5e-4 --warmup 20 --batch 8 --seed $((2560 + round)) --save-every 400
ev $instruct $instruct --limit 120
tr $e2e e2e --model /tmp/x/$instruct --data $D/train/e2e.jsonl --k 1 --out /tmp/x/$e2e --steps 150 --lr 1e-4 --warmup 10 --batch 4 --seed $((2570 + round)) --save-every 150
ev $e2e $e2e-full
ev $instruct $instruct-full
log "round from $from done"
