#!/bin/bash
# Run 11b: run 11's rounds continued from START (its E8) with the round numbers going on from ROUND0 (8), to see
# whether single rounds and the means of the last ones keep improving; not published (the session ended first).
# usage: START=DIR ROUND0=N continue.sh WORKDIR DATA DEADLINE
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
cp -r "$START" start
log "start: $START"
from=start round=${ROUND0:-0} turn=$(( ${ROUND0:-0} * 4 ))
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
