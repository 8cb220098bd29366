"""Writes e2e lines with five candidates each (the gold and four of its 19 distractors, drawn with seed 2511, in the
line's order) for the scp-rank experiments: a quarter of the documents to compress per question."""
import json
import random
import sys

rng = random.Random(2511)
source, target = sys.argv[1], sys.argv[2]   # e.g. /work/recipe-out/data/train/e2e.jsonl /work/x/e2e-5.jsonl
with open(source) as f, open(target, "w") as o:
    for line in f:
        e = json.loads(line)
        g = e["gold"]
        keep = sorted([g] + rng.sample([i for i in range(len(e["docs"])) if i != g], 4))
        o.write(json.dumps({"question": e["question"], "docs": [e["docs"][i] for i in keep], "gold": keep.index(g),
                            "answer": e["answer"]}) + "\n")
