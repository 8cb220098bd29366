#!/usr/bin/env bash
# scp-rank from the recipe's stage3-instruct (recall@1 0.950, EM 0.206): does reading grow while recall holds?
set -u
cd /work/main
C=(dotnet src/Clara.Cli/bin/Release/net10.0/clara.dll)
D=/work/recipe-out/data
X=/work/x
ev() { "${C[@]}" eval --json --max-new-tokens 16 --model "$X/$1" --data $D/eval/test.jsonl --threads 2 > "$X/ev-$1.json" 2> "$X/ev-$1.err";
       echo "$(date -u +%T) eval $1: $(python3 -c "import json; r=json.load(open('$X/ev-$1.json')); print(round(r['recall_at_1'],3), round(r['exact_match'],3))")"; }
tr() { local name=$1; shift; echo "$(date -u +%T) train $name"; "${C[@]}" train scp-rank "$@" --out "$X/$name" --data $D/train/e2e.jsonl --eval $D/validation/e2e-small.jsonl --eval-every 100 --seed 2511 --threads 2 --clip 1.0 --weight-decay 0.01 --save-every 100 > "$X/$name.log" 2>&1; echo "$(date -u +%T) $name exit $? $(tail -1 $X/$name.log)"; }
tr SR1 --model /work/recipe-out/stage3-instruct --steps 300 --lr 5e-4 --warmup 20 --batch 4
ev SR1
tr SR2 --model $X/SR1 --steps 300 --lr 5e-4 --warmup 20 --batch 4
ev SR2
