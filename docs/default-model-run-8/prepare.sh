#!/bin/bash
# Run 8's data: the recipe's corpus (tools/train-default-model.sh's generate step, seed 2511, 3000 train entities) and
# its whole-document question lines (scp-doc.jsonl: each instruction line's gold document, question and answer).
# The test split it writes is samples/default-eval/test.jsonl byte for byte (md5 a6c21166...).
set -euo pipefail
mkdir -p /tmp/x && cd /tmp/x
cp -r /work/main/src/Clara.Cli/bin/Release/net10.0 clara-bin
cp -r /work/main/tools/Clara.Corpus/bin/Release/net10.0 corpus-bin
dotnet corpus-bin/clara-corpus.dll generate --out /tmp/x/data --seed 2511 --k 1 --train 3000
/usr/bin/python3 -c 'import json, sys
for line in sys.stdin:
    e = json.loads(line)
    print(json.dumps({"document": e["docs"][0], "question": e["question"], "target": e["answer"]}))' \
  < data/train/instruct.jsonl > data/train/scp-doc.jsonl
