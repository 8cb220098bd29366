#!/usr/bin/env bash
set -u
cd /work/main
C=(dotnet src/Clara.Cli/bin/Release/net10.0/clara.dll)
D=/work/recipe-out/data
X=/work/x
ev() { "${C[@]}" eval --json --max-new-tokens 16 --model "$X/$1" --data $D/eval/test.jsonl --threads 2 > "$X/ev-$1.json" 2> "$X/ev-$1.err";
       echo "$(date -u +%T) eval $1: $(python3 -c "import json; r=json.load(open('$X/ev-$1.json')); print(round(r['recall_at_1'],3), round(r['exact_match'],3))")"; }
tr() { local name=$1; shift; echo "$(date -u +%T) train $name"; "${C[@]}" train scp-rank "$@" --out "$X/$name" --eval $D/validation/e2e-small.jsonl --eval-every 100 --seed 2511 --threads 2 --clip 1.0 --weight-decay 0.01 --save-every 100 > "$X/$name.log" 2>&1; echo "$(date -u +%T) $name exit $? $(tail -1 $X/$name.log)"; }
tr SR3 --model /work/recipe-out/stage3-instruct --data $X/e2e-5.jsonl --steps 300 --lr 5e-4 --warmup 20 --batch 8
ev SR3
tr SR4 --model $X/SR3 --data $X/e2e-5.jsonl --steps 300 --lr 5e-4 --warmup 20 --batch 8
ev SR4
