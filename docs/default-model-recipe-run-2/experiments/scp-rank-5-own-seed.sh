#!/usr/bin/env bash
# SR7: SR6 + 1200 x 8 scp-rank updates with a seed of their own (run as SEED=2701 scp-rank-5-own-seed.sh), where SR5 and SR6 both used
# 2511 and so read the same 9600 questions; the comparison is in docs/default-model.md ("Recipe version 2").
set -u
cd /work/main
C=(dotnet src/Clara.Cli/bin/Release/net10.0/clara.dll)
D=/work/recipe-out/data
X=/work/x
ev() { "${C[@]}" eval --json --max-new-tokens 16 --model "$X/$1" --data $D/eval/test.jsonl --threads 2 > "$X/ev-$1.json" 2> "$X/ev-$1.err";
       echo "$(date -u +%T) eval $1: $(python3 -c "import json; r=json.load(open('$X/ev-$1.json')); print(round(r['recall_at_1'],3), round(r['exact_match'],3))")"; }
common=(--eval-every 300 --seed "${SEED:-2511}" --threads 2 --clip 1.0 --weight-decay 0.01 --save-every 300)
echo "$(date -u +%T) train SR7"
"${C[@]}" train scp-rank --model $X/SR6 --data $X/e2e-5.jsonl --eval $D/validation/e2e-small.jsonl --out $X/SR7 --steps 1200 --lr 5e-4 --warmup 20 --batch 8 "${common[@]}" > $X/SR7.log 2>&1
echo "$(date -u +%T) SR7 exit $? $(tail -1 $X/SR7.log)"
ev SR7
