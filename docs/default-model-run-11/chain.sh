#!/bin/bash
# Run 11, as run: run 10's rounds continued from the published model (run 10's E4, n_mem 16), with one change: the
# rank turns train the query reasoner only (run 10's also trained the encoder, and every round's A/B turns lowered
# exact match by 0.02-0.05 before instruction and e2e brought it back: the rank loss moved the memories the generator
# reads). Per round: 4 x (scp-doc 300 x 8 lr 5e-4, rank 75 x 4 lr 3e-4 on the query reasoner), instruction 400 x 8
# (decoder only), e2e 150 x 4 lr 1e-4; `clara eval` on all 480 test questions after each part, and on the 480
# validation questions after each round's e2e (the model is chosen on validation). Rounds run until DEADLINE (epoch
# seconds) leaves no room for another. Run 11b (not published) was the same rounds continued from run 11's E8:
# START=WORKDIR/E8 ROUND0=8 chain.sh WORKDIR-11b DATA DEADLINE (continue.log; run 11 itself logged its start as
# "the published model (run 10's E4)").
# usage: [START=MODEL] [ROUND0=N] chain.sh WORKDIR DATA DEADLINE   (DATA: the recipe's corpus, seed 2511, with
#        train/scp-doc.jsonl; START: the model of round ROUND0, default the published one and 0)
set -uo pipefail
W=$1 D=$2 deadline=$3
repo=$(cd "$(dirname "$0")/../.." && pwd)
mkdir -p "$W" && cd "$W"
cp -r "$repo/src/Clara.Cli/bin/Release/net10.0" clara-bin
C="dotnet $W/clara-bin/clara.dll"
log() { echo "[$(date -u +%H:%M:%S)] $*" >> chain.log; }
ev() { local split=${3:-test}
       $C eval --json --max-new-tokens 16 --k 1 --model "$1" --data "$D/eval/$split.jsonl" --threads 2 > "ev-$2-$split.json" 2> "ev-$2-$split.err"
       local kinds; kinds=$(/usr/bin/python3 "$repo/docs/default-model-run-9/by-answer-kind.py" "ev-$2-$split.json" "$D/eval/$split.jsonl" | head -n 2 | paste -sd ' ')
       log "eval $2 ($split): $(/usr/bin/python3 -c "import json; r=json.load(open('ev-$2-$split.json')); print({k:round(v,3) for k,v in r.items() if k in ('recall_at_1','exact_match')})") $kinds"; }
step() { local name=$1; shift; local t0=$(date +%s); $C train "$@" --clip 1.0 --weight-decay 0.01 --threads 2 > "$name.train.log" 2>&1
         local rc=$?; log "$name exit $rc ($(( $(date +%s) - t0 )) s)"; [ $rc -eq 0 ] || exit 1; }
start=${START:-$repo/samples/default-model} round=${ROUND0:-0}
cp -r "$start" start
log "start: $start"
from=start turn=$((round * 4))
while [ $(( $(date +%s) + 13 * 60 )) -lt "$deadline" ]; do
  round=$((round + 1))
  for _ in 1 2 3 4; do
    turn=$((turn + 1))
    step A$turn scp --model $from --data "$D/train/scp-doc.jsonl" --out A$turn --steps 300 --lr 5e-4 --warmup 10 --batch 8 --seed $((3000 + turn)) --save-every 300
    step B$turn rank --model A$turn --adapters query_reasoner_adapter --data "$D/train/e2e.jsonl" --out B$turn --steps 75 --lr 3e-4 --warmup 5 --batch 4 --seed $((3100 + turn)) --save-every 75
    from=B$turn
  done
  ev B$turn B$turn
  step S$round scp --model $from --adapters decoder_adapter --data "$D/train/scp-doc.jsonl" --out S$round --steps 400 --lr 5e-4 --warmup 20 --batch 8 --seed $((3200 + round)) --save-every 400
  ev S$round S$round
  step E$round e2e --model S$round --data "$D/train/e2e.jsonl" --k 1 --out E$round --steps 150 --lr 1e-4 --warmup 10 --batch 4 --seed $((3300 + round)) --save-every 150
  ev E$round E$round
  ev E$round E$round validation
  from=E$round
done
log "done after $round rounds"
