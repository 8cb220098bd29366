#!/bin/bash
# Run 10, as run: the published E13 (run 8) given twice the memory (compression rate 8 -> 4: n_mem 8 -> 16, the
# tokenizer's <MEM8>..<MEM15> as the new slots; base weights and adapters as they are), then run 8's rounds of the fine
# alternation (4 x (scp-doc 300 x 8, joint rank 75 x 4), instruction 400 x 8, e2e 150 x 4, each round from the last
# round's e2e) until DEADLINE (epoch seconds) leaves no room for another, with `clara eval` on all 480 test questions
# after every round's steps, split by answer kind (docs/default-model-run-9/by-answer-kind.py).
# usage: chain.sh WORKDIR DATA DEADLINE   (DATA: the recipe's corpus, seed 2511, with train/scp-doc.jsonl)
set -uo pipefail
W=$1 D=$2 deadline=$3
repo=$(cd "$(dirname "$0")/../.." && pwd)
mkdir -p "$W" && cd "$W"
cp -r "$repo/src/Clara.Cli/bin/Release/net10.0" clara-bin
C="dotnet $W/clara-bin/clara.dll"
log() { echo "[$(date -u +%H:%M:%S)] $*" >> chain.log; }
ev() { $C eval --json --max-new-tokens 16 --k 1 --model "$1" --data "$D/eval/test.jsonl" --threads 2 > "ev-$2.json" 2> "ev-$2.err"
       local kinds; kinds=$(/usr/bin/python3 "$repo/docs/default-model-run-9/by-answer-kind.py" "ev-$2.json" "$D/eval/test.jsonl" | head -n 2 | paste -sd ' ')
       log "eval $2: $(/usr/bin/python3 -c "import json; r=json.load(open('ev-$2.json')); print({k:round(v,3) for k,v in r.items() if k in ('recall_at_1','exact_match')})") $kinds"; }
step() { local name=$1; shift; local t0=$(date +%s); $C train "$@" --clip 1.0 --weight-decay 0.01 --threads 2 > "$name.train.log" 2>&1
         local rc=$?; log "$name exit $rc ($(( $(date +%s) - t0 )) s)"; [ $rc -eq 0 ] || exit 1; }
cp -r "$repo/samples/default-model" m16
/usr/bin/python3 - m16/clara.json <<'PY'
import json, sys
path = sys.argv[1]
c = json.load(open(path))
c["compression_rate"] = 4
c["mem_token_ids"] = list(range(3, 19))   # <MEM0>..<MEM15>
open(path, "w").write(json.dumps(c, indent=2) + "\n")
PY
log "start: E13 with n_mem 16"
ev m16 m16
from=m16 round=0 turn=0
while [ $(( $(date +%s) + 13 * 60 )) -lt "$deadline" ]; do
  round=$((round + 1))
  for _ in 1 2 3 4; do
    turn=$((turn + 1))
    step A$turn scp --model $from --data "$D/train/scp-doc.jsonl" --out A$turn --steps 300 --lr 5e-4 --warmup 10 --batch 8 --seed $((2640 + turn)) --save-every 300
    step B$turn rank --model A$turn --adapters query_reasoner_adapter,encoder_adapter --data "$D/train/e2e.jsonl" --out B$turn --steps 75 --lr 3e-4 --warmup 5 --batch 4 --seed $((2650 + turn)) --save-every 75
    from=B$turn
  done
  ev B$turn B$turn
  step S$round scp --model $from --adapters decoder_adapter --data "$D/train/scp-doc.jsonl" --out S$round --steps 400 --lr 5e-4 --warmup 20 --batch 8 --seed $((2660 + round)) --save-every 400
  ev S$round S$round
  step E$round e2e --model S$round --data "$D/train/e2e.jsonl" --k 1 --out E$round --steps 150 --lr 1e-4 --warmup 10 --batch 4 --seed $((2670 + round)) --save-every 150
  ev E$round E$round
  from=E$round
done
log "done after $round rounds"
