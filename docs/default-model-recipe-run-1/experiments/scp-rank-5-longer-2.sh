#!/usr/bin/env bash
set -u
cd /work/main
C=(dotnet src/Clara.Cli/bin/Release/net10.0/clara.dll)
D=/work/recipe-out/data
X=/work/x
ev() { "${C[@]}" eval --json --max-new-tokens 16 --model "$X/$1" --data $D/eval/test.jsonl --threads 2 > "$X/ev-$1.json" 2> "$X/ev-$1.err";
       echo "$(date -u +%T) eval $1: $(python3 -c "import json; r=json.load(open('$X/ev-$1.json')); print(round(r['recall_at_1'],3), round(r['exact_match'],3))")"; }
common=(--eval-every 300 --seed 2511 --threads 2 --clip 1.0 --weight-decay 0.01 --save-every 300)
echo "$(date -u +%T) train SR6"
"${C[@]}" train scp-rank --model $X/SR5 --data $X/e2e-5.jsonl --eval $D/validation/e2e-small.jsonl --out $X/SR6 --steps 1200 --lr 5e-4 --warmup 20 --batch 8 "${common[@]}" > $X/SR6.log 2>&1
echo "$(date -u +%T) SR6 exit $? $(tail -1 $X/SR6.log)"
ev SR6
echo "$(date -u +%T) train SR6-I"
"${C[@]}" train instruct --model $X/SR6 --data $D/train/instruct.jsonl --eval $D/validation/instruct-small.jsonl --out $X/SR6-I --steps 400 --lr 5e-4 --warmup 20 --batch 8 "${common[@]}" > $X/SR6-I.log 2>&1
echo "$(date -u +%T) SR6-I exit $? $(tail -1 $X/SR6-I.log)"
ev SR6-I
