#!/usr/bin/env bash
# Why does the recipe's first reading cycle cost so much more recall than the chain's S3? Hypothesis: the chain's
# generator had 900 generator-only updates (S1 400 at 1e-3 + S2 500 at 7e-4, both on the SCP mix) before S3, the
# recipe's 500 instruct updates at k = 1; a better reader leaves less of SCP's gradient to move the compressor.
set -u
cd /work/recipe
C=(dotnet src/Clara.Cli/bin/Release/net10.0/clara.dll)
D=/work/recipe-out/data
X=/work/x
common=(--seed 2511 --threads 2 --clip 1.0 --weight-decay 0.01 --save-every 500)
ev() { "${C[@]}" eval --json --max-new-tokens 16 --model "$X/$1" --data $D/eval/test.jsonl --threads 2 > "$X/ev-$1.json" 2> "$X/ev-$1.err";
       echo "$(date -u +%T) eval $1: $(python3 -c "import json; r=json.load(open('$X/ev-$1.json')); print(round(r['recall_at_1'],3), round(r['exact_match'],3))")"; }
tr() { local name=$1; shift; echo "$(date -u +%T) train $name"; "${C[@]}" train "$@" --out "$X/$name" "${common[@]}" > "$X/$name.log" 2>&1; echo "$(date -u +%T) $name exit $? $(tail -1 $X/$name.log)"; }
variant=${1:-mix}
if [ "$variant" = mix ]; then
  tr XS scp --model /work/recipe-out/stage2b-rank --adapters decoder_adapter --data $D/train/scp.jsonl --steps 900 --lr 7e-4 --warmup 20 --batch 8 --eval $D/validation/scp-small.jsonl --eval-every 300
else
  tr XS-$variant instruct --model /work/recipe-out/stage2b-rank --data $D/train/instruct.jsonl --steps 900 --lr 7e-4 --warmup 20 --batch 8 --eval $D/validation/instruct-small.jsonl --eval-every 300
fi
s=XS; [ "$variant" = mix ] || s=XS-$variant
ev $s
tr $s-C1 scp --model $X/$s --data $D/train/scp-doc.jsonl --steps 1200 --lr 7e-4 --warmup 20 --batch 8 --eval $D/validation/scp-doc-small.jsonl --eval-every 300
ev $s-C1
