#!/bin/bash
# Run 9b, as run (with its step function then named tr, which shadowed tr(1) in ev and lost the by-kind figures from
# the log; they were computed afterwards): number-focused turns from the published E13, on the whole-document SCP
# lines whose answer is a number (12000 of 36000). Stopped by hand after R1 (numbers-focus.log).
set -uo pipefail
cd /tmp/n1
cp -r /work/main/src/Clara.Cli/bin/Release/net10.0 clara-bin 2>/dev/null
C="dotnet /tmp/n1/clara-bin/clara.dll"; D=/tmp/dm/data; M=/work/main/samples/default-model
log() { echo "[$(date -u +%H:%M:%S)] $*" >> chain.log; }
ev() { $C eval --json --max-new-tokens 16 --k 1 --model "$1" --data "$D/eval/test.jsonl" --threads 2 > "ev-$2.json" 2> "ev-$2.err"
       log "eval $2: $(/usr/bin/python3 -c "import json; r=json.load(open('ev-$2.json')); print({k:round(v,3) for k,v in r.items() if k in ('recall_at_1','exact_match')})") $(/usr/bin/python3 /work/main/docs/default-model-run-9/by-answer-kind.py ev-$2.json $D/eval/test.jsonl | tr '\n' ' ')"; }
step() { local name=$1; shift; local t0=$(date +%s); $C train "$@" --clip 1.0 --weight-decay 0.01 --threads 2 > "$name.train.log" 2>&1
       local rc=$?; log "$name exit $rc ($(( $(date +%s) - t0 )) s)"; [ $rc -eq 0 ] || exit 1; }
step G1 scp --model $M --adapters decoder_adapter --data scp-doc-numbers.jsonl --out G1 --steps 400 --lr 5e-4 --warmup 20 --batch 8 --seed 2601 --save-every 400
ev G1 G1
step N1 scp --model $M --data scp-doc-numbers.jsonl --out N1 --steps 300 --lr 5e-4 --warmup 10 --batch 8 --seed 2602 --save-every 300
ev N1 N1
step R1 rank --model N1 --adapters query_reasoner_adapter,encoder_adapter --data $D/train/e2e.jsonl --out R1 --steps 75 --lr 3e-4 --warmup 5 --batch 4 --seed 2603 --save-every 75
ev R1 R1
step I1 scp --model R1 --adapters decoder_adapter --data $D/train/scp-doc.jsonl --out I1 --steps 400 --lr 5e-4 --warmup 20 --batch 8 --seed 2604 --save-every 400
ev I1 I1
step F1 e2e --model I1 --data $D/train/e2e.jsonl --k 1 --out F1 --steps 150 --lr 1e-4 --warmup 10 --batch 4 --seed 2605 --save-every 150
ev F1 F1
log done
