#!/usr/bin/python3
"""Does a base model read? Answer-token cross-entropy and teacher-forced exact answers on held-out reading lines.

usage: tools/probe-reading.py MODEL_DIR READING_LINES.jsonl [N]
  READING_LINES: a base-pretraining file of the default-model corpus ({"text": "DOCUMENT Question: Q Answer: A ..."}),
  e.g. the recipe's data/validation/lm.jsonl (entities never trained on); the first N lines with questions are read.
A model that reads the document puts its answer tokens near 0 nats; one that guesses from the question alone stays
near the prior of each kind of value (about 2 nats here). Runs `clara tokenize` and `clara logits` (a Release build).
"""
import json, os, subprocess, struct, sys
import numpy as np
root=os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
clara=["dotnet",os.path.join(root,"src/Clara.Cli/bin/Release/net10.0/clara.dll")]
model=sys.argv[1]; data=sys.argv[2]; n=int(sys.argv[3]) if len(sys.argv)>3 else 8
def st(path,name):
    b=open(path,"rb").read(); k=struct.unpack("<Q",b[:8])[0]; h=json.loads(b[8:8+k]); t=h[name]; s,e=t["data_offsets"]
    return np.frombuffer(b[8+k+s:8+k+e],dtype=np.float32).reshape(t["shape"])
def tok(text): return json.loads(subprocess.run(clara+["tokenize","--model",model,"--text",text,"--json"],capture_output=True,text=True).stdout)["ids"]
lines=[json.loads(l)["text"] for l in open(data) if "Question:" in l][:n]
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
    subprocess.run(clara+["logits","--model",model,"--tokens",",".join(map(str,ids)),"--out","/tmp/p.st","--threads","1"],check=True,capture_output=True)
    l=st("/tmp/p.st","logits").astype(np.float64)
    lp=l-l.max(1,keepdims=True); lp=lp-np.log(np.exp(lp).sum(1,keepdims=True))
    for s,e in answer_positions:
        c=[-lp[i-1,ids[i]] for i in range(s,min(e,len(ids)))]
        ces+=c; total+=1
        right+=all(l[i-1].argmax()==ids[i] for i in range(s,min(e,len(ids))))
print(f"{model}: answer-token CE {np.mean(ces):.3f} over {len(ces)} tokens; teacher-forced exact answers {right}/{total}")
