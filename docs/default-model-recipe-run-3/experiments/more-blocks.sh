#!/usr/bin/env bash
# Blocks of scp-rank after the recipe's tenth (outside the recipe), with the recipe's block settings and seeds
# (block b: 2511 + b), run from the recipe's worktree; each scored on the test and validation splits
# (docs/default-model.md). usage: more-blocks.sh RUN-DIR OUT-DIR FIRST LAST
set -eu
run=$1 out=$2 first=$3 last=$4
D=$run/data
C=(dotnet src/Clara.Cli/bin/Release/net10.0/clara.dll)
mkdir -p "$out"
from=$run/stage4-scp-rank$((first - 1))
[ -d "$out/B$((first - 1))" ] && from=$out/B$((first - 1))
for b in $(seq "$first" "$last"); do
  start=$SECONDS
  "${C[@]}" train scp-rank --model "$from" --data $D/train/e2e-5.jsonl --eval $D/validation/e2e-5-small.jsonl \
    --eval-every 200 --out "$out/B$b" --steps 1200 --lr 5e-4 --warmup 20 --batch 8 --seed $((2511 + b)) --threads 2 --clip 1.0 \
    --weight-decay 0.01 --save-every 500 > "$out/B$b.log" 2>&1
  echo "B$b trained in $((SECONDS - start)) s"
  "${C[@]}" eval --json --max-new-tokens 16 --model "$out/B$b" --data $D/eval/test.jsonl --threads 2 > "$out/ev-B$b.json" 2>/dev/null
  "${C[@]}" eval --json --max-new-tokens 16 --model "$out/B$b" --data $D/eval/validation.jsonl --threads 2 > "$out/ev-B$b-val.json" 2>/dev/null
  from=$out/B$b
done
