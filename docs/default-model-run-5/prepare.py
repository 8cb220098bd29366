#!/usr/bin/python3
"""How run 5's inputs were made (run once, by hand, in /tmp/mem): SCP question lines from run 4's reading curriculum
(read.jsonl, made from run 3's corpus), the k = 1 reading probe, D's mix, and C0 = the reading base with its memory
rescaled (what `clara-corpus scale-memory --factor 0.03` now does)."""
import json, random, struct, numpy as np
def conv(src, dst):
    with open(dst, "w") as o:
        for l in open(src):
            r = json.loads(l); ctx, q = r["prompt"].split(" Question: ")
            o.write(json.dumps({"document": ctx, "question": q[:-len(" Answer:")], "target": r["completion"]}) + "\n")
conv("/tmp/read/read.jsonl", "scp-read.jsonl"); conv("/tmp/read/read-validation.jsonl", "scp-read-val.jsonl")
with open("probe-val.jsonl", "w") as o:
    for r in map(json.loads, open("scp-read-val.jsonl")):
        o.write(json.dumps({"question": r["question"], "docs": [r["document"]], "answer": r["target"], "gold": 0}) + "\n")
# D's mix: the question lines, and from run 3's SCP file 9000 fact-sentence targets, 6000 paraphrases, 6000 questions
random.seed(5); R = "/work/wt/recipe2/artifacts/default-model/data"
t1, t4, q = [], [], []
for l in open(R + "/train/scp.jsonl"):
    r = json.loads(l)
    (q if "question" in r else t1 if r["target"].count(". ") == 0 else t4).append(l)
lines = open("scp-read.jsonl").readlines() + random.sample(t1, 9000) + random.sample(t4, 6000) + random.sample(q, 6000)
random.shuffle(lines); open("scp-mix.jsonl", "w").writelines(lines)
v = open("scp-read-val.jsonl").readlines()[:48] + [l for l in open(R + "/validation/scp-small.jsonl") if '"question"' not in l][:48]
open("scp-mix-val.jsonl", "w").writelines(v)
# C0: final norm × 0.03, lm_head ÷ 0.03 (adapters, tokenizer and configs copied from the reading base)
b = open("/tmp/read/read-lm/model.safetensors", "rb").read(); k = struct.unpack("<Q", b[:8])[0]; hd = json.loads(b[8:8 + k]); data = bytearray(b[8 + k:])
def scale(name, by):
    s, e = hd[name]["data_offsets"]; data[s:e] = (np.frombuffer(bytes(data[s:e]), dtype=np.float32) * by).astype(np.float32).tobytes()
scale("model.norm.weight", 0.03); scale("lm_head.weight", 1 / 0.03)
open("C0/model.safetensors", "wb").write(b[:8 + k] + bytes(data))
