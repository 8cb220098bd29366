#!/bin/bash
# The published model's selection: the mean of the last m round-end e2e models (m = 3..6), each on the 480
# validation questions; the highest exact match wins (ties to the larger m).
# As run, from the chain's WORKDIR (/tmp/r11) after round 8, with the run's data in /tmp/dm/data; it printed:
#   m=3 (E6 E7 E8): validation recall@1 0.992 EM 0.8250
#   m=4 (E5 E6 E7 E8): validation recall@1 0.990 EM 0.8271
#   m=5 (E4 E5 E6 E7 E8): validation recall@1 0.992 EM 0.8271
#   m=6 (E3 E4 E5 E6 E7 E8): validation recall@1 0.996 EM 0.8333
cd /tmp/r11
C="dotnet /work/main/src/Clara.Cli/bin/Release/net10.0/clara.dll"
all=(start E1 E2 E3 E4 E5 E6 E7 E8)
for m in 3 4 5 6; do
  members=("${all[@]: -$m}")
  rm -rf sel-$m && $C average "${members[@]}" --out sel-$m > /dev/null
  $C eval --json --max-new-tokens 16 --k 1 --model sel-$m --data /tmp/dm/data/eval/validation.jsonl --threads 2 > ev-sel-$m-validation.json 2>/dev/null
  echo "m=$m (${members[*]}): validation $(python3 -c "
import json;r=json.load(open('ev-sel-$m-validation.json'));print('recall@1', round(r['recall_at_1'],3), 'EM', round(r['exact_match'],4))")"
done
