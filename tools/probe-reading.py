#!/usr/bin/python3
"""Does a base model read? Answer-token cross-entropy and teacher-forced exact answers on held-out reading lines.

usage: tools/probe-reading.py MODEL_DIR READING_LINES.jsonl [N]
  READING_LINES: a base-pretraining file of the default-model corpus ({"text": "DOCUMENT Question: Q Answer: A ..."}),
  e.g. the recipe's data/validation/lm.jsonl (entities never trained on); the first N lines with questions are read.
  Or a reading-curriculum file ({"prompt", "completion"}, data/validation/read.jsonl): the first N lines, reported
  by context (one fact, two facts, whole document).
  CLARA_DLL: the clara.dll to run (default: the Release build under src/Clara.Cli).
A model that reads the document puts its answer tokens near 0 nats; one that guesses from the question alone stays
near the prior of each kind of value (about 2 nats here). Runs `clara tokenize` and `clara logits` (a Release build).
"""
import json, os, subprocess, struct, sys
import numpy as np
root=os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
clara=["dotnet",os.environ.get("CLARA_DLL") or os.path.join(root,"src/Clara.Cli/bin/Release/net10.0/clara.dll")]
model=sys.argv[1]; data=sys.argv[2]; n=int(sys.argv[3]) if len(sys.argv)>3 else 8
def st(path,name):
    b=open(path,"rb").read(); k=struct.unpack("<Q",b[:8])[0]; h=json.loads(b[8:8+k]); t=h[name]; s,e=t["data_offsets"]
    return np.frombuffer(b[8+k+s:8+k+e],dtype=np.float32).reshape(t["shape"])
def tok(text): return json.loads(subprocess.run(clara+["tokenize","--model",model,"--text",text,"--json"],capture_output=True,text=True).stdout)["ids"]
def logits_and_log_probs(ids):
    subprocess.run(clara+["logits","--model",model,"--tokens",",".join(map(str,ids)),"--out","/tmp/p.st","--threads","1"],check=True,capture_output=True)
    l=st("/tmp/p.st","logits").astype(np.float64)
    lp=l-l.max(1,keepdims=True); return l, lp-np.log(np.exp(lp).sum(1,keepdims=True))
rows=[json.loads(l) for l in open(data)]
if rows and "prompt" in rows[0]:
    # Reading-curriculum lines (read.jsonl): the completion after its prompt, by how many sentences come before the
    # question (1: the fact alone, 2: two facts, more: the whole document).
    by_level={}
    for row in rows[:n]:
        context=row["prompt"].split(" Question: ")[0]
        level=min(context.count(". ")+1,3)
        prompt_ids=[1]+tok(row["prompt"]); ids=prompt_ids+tok(row["completion"])
        l,lp=logits_and_log_probs(ids)
        span=range(len(prompt_ids),len(ids))
        ce=[-lp[i-1,ids[i]] for i in span]; ok=all(l[i-1].argmax()==ids[i] for i in span)
        c,r,t=by_level.get(level,([],0,0)); by_level[level]=(c+ce,r+ok,t+1)
    for level,(c,r,t) in sorted(by_level.items()):
        name={1:"one fact",2:"two facts",3:"whole document"}[level]
        print(f"{model}: {name}: answer-token CE {np.mean(c):.3f} over {len(c)} tokens; teacher-forced exact answers {r}/{t}")
    sys.exit(0)
lines=[row["text"] for row in rows if "Question:" in row.get("text","")][:n]
ces=[]; right=0; total=0
for text in lines:
    parts=text.split(" Answer: ")
    ids=[1]; answer_positions=[]
    prefix=parts[0]
    for i,p in enumerate(parts[1:]):
        ans=p.split(" Question: ")[0]
        a_ids=tok(prefix+" Answer: "+ans)
        start=len(tok(prefix+" Answer:"))
        answer_positions.append((start+1, len(a_ids)+1))   # +1 for BOS
        prefix=prefix+" Answer: "+p
    ids=[1]+tok(text)
    l,lp=logits_and_log_probs(ids)
    for s,e in answer_positions:
        c=[-lp[i-1,ids[i]] for i in range(s,min(e,len(ids)))]
        ces+=c; total+=1
        right+=all(l[i-1].argmax()==ids[i] for i in range(s,min(e,len(ids))))
print(f"{model}: answer-token CE {np.mean(ces):.3f} over {len(ces)} tokens; teacher-forced exact answers {right}/{total}")
