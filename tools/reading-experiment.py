#!/usr/bin/python3
"""A PyTorch twin of `clara train lm` on the default-model corpus, to try reading curricula in minutes: trains the
same Mistral shape (optionally from a recipe stage directory, --init) on documents followed by their QA pairs with
the loss on the answer tokens only (--mode qa1: one pair, qa4: all four, fact1: only the sentence holding the
answer, full: every token) and probes answer-token CE and teacher-forced exact answers on 40 held-out documents,
with the first answer token's CE per QA slot (place, profession, year, instrument). docs/default-model.md, run 4."""
import json, sys, time, math, random, struct, argparse
import numpy as np, torch, torch.nn as nn, torch.nn.functional as F
import sentencepiece as spm
p=argparse.ArgumentParser()
p.add_argument("--art",required=True,help="a recipe output directory (data/, tokenizer/)")
p.add_argument("--init",default="")  # model dir or ''
p.add_argument("--mode",default="qa1")  # qa1: doc+1 QA answer-only loss; qa4: doc+4QA answer-only; full: all tokens
p.add_argument("--lr",type=float,default=1e-3)
p.add_argument("--batch",type=int,default=16)
p.add_argument("--steps",type=int,default=300)
p.add_argument("--threads",type=int,default=1)
p.add_argument("--layers",type=int,default=4)
p.add_argument("--seconds",type=float,default=1e9)
a=p.parse_args()
torch.set_num_threads(a.threads); torch.manual_seed(0); random.seed(0)
sp=spm.SentencePieceProcessor(model_file=a.art+"/tokenizer/tokenizer.model")
H,L,NH,KV,HD,FF,V=256,a.layers,8,2,32,704,1536
def rope(x,pos):
    inv=1.0/(1e6**(torch.arange(0,HD,2).float()/HD)); f=pos[:,None].float()*inv[None]
    c,s=torch.cos(f),torch.sin(f); c=torch.cat([c,c],-1); s=torch.cat([s,s],-1)
    x1,x2=x[...,:HD//2],x[...,HD//2:]; return x*c+torch.cat([-x2,x1],-1)*s
class RMS(nn.Module):
    def __init__(s): super().__init__(); s.w=nn.Parameter(torch.ones(H))
    def forward(s,x): return x*torch.rsqrt(x.pow(2).mean(-1,keepdim=True)+1e-5)*s.w
class Layer(nn.Module):
    def __init__(s):
        super().__init__(); s.n1=RMS(); s.n2=RMS()
        s.q=nn.Linear(H,NH*HD,bias=False); s.k=nn.Linear(H,KV*HD,bias=False); s.v=nn.Linear(H,KV*HD,bias=False); s.o=nn.Linear(NH*HD,H,bias=False)
        s.g=nn.Linear(H,FF,bias=False); s.u=nn.Linear(H,FF,bias=False); s.d=nn.Linear(FF,H,bias=False)
    def forward(s,x,pos):
        B,T,_=x.shape; h=s.n1(x)
        q=s.q(h).view(B,T,NH,HD).transpose(1,2); k=s.k(h).view(B,T,KV,HD).transpose(1,2); v=s.v(h).view(B,T,KV,HD).transpose(1,2)
        q=rope(q,pos); k=rope(k,pos); k=k.repeat_interleave(NH//KV,1); v=v.repeat_interleave(NH//KV,1)
        att=(q@k.transpose(-1,-2))/math.sqrt(HD); att=att.masked_fill(torch.triu(torch.ones(T,T,dtype=torch.bool),1),-1e9)
        y=(att.softmax(-1)@v).transpose(1,2).reshape(B,T,NH*HD); x=x+s.o(y)
        h=s.n2(x); return x+s.d(F.silu(s.g(h))*s.u(h))
class M(nn.Module):
    def __init__(s):
        super().__init__(); s.e=nn.Embedding(V,H); s.ls=nn.ModuleList([Layer() for _ in range(L)]); s.n=RMS(); s.head=nn.Linear(H,V,bias=False)
        for pp in s.parameters():
            if pp.dim()>1: nn.init.normal_(pp,0,0.02)
    def forward(s,ids):
        x=s.e(ids); pos=torch.arange(ids.shape[1])
        for l in s.ls: x=l(x,pos)
        return s.head(s.n(x))
m=M()
if a.init:
    b=open(a.init+"/model.safetensors","rb").read(); k=struct.unpack("<Q",b[:8])[0]; hd=json.loads(b[8:8+k])
    def t(n): x=hd[n]; s,e=x["data_offsets"]; return torch.tensor(np.frombuffer(b[8+k+s:8+k+e],dtype=np.float32).reshape(x["shape"]).copy())
    m.e.weight.data=t("model.embed_tokens.weight"); m.head.weight.data=t("lm_head.weight"); m.n.w.data=t("model.norm.weight")
    for i,l in enumerate(m.ls):
        P=f"model.layers.{i}."
        for mod,n in [(l.q,"self_attn.q_proj"),(l.k,"self_attn.k_proj"),(l.v,"self_attn.v_proj"),(l.o,"self_attn.o_proj"),(l.g,"mlp.gate_proj"),(l.u,"mlp.up_proj"),(l.d,"mlp.down_proj")]: mod.weight.data=t(P+n+".weight")
        l.n1.w.data=t(P+"input_layernorm.weight"); l.n2.w.data=t(P+"post_attention_layernorm.weight")
def parse(line):
    text=json.loads(line)["text"]; parts=text.split(" Question: "); doc=parts[0]
    qa=[tuple(x.split(" Answer: ")) for x in parts[1:]]; return doc,qa
train=[parse(l) for l in open(a.art+"/data/train/lm.jsonl") if "Question:" in l]
val=[parse(l) for l in open(a.art+"/data/validation/lm.jsonl") if "Question:" in l][:40]
def example(doc,qa,mode):
    ids=[1]+sp.encode(doc); mask=[0]*len(ids)
    if mode=="qa1": qa=[random.choice(qa)]
    if mode=="fact1":
        qa=[random.choice(qa)]; sents=[x.strip() for x in doc.split(". ")]
        hit=[x for x in sents if qa[0][1] in x]; doc=hit[0].rstrip(".")+"."
        ids=[1]+sp.encode(doc); mask=[0]*len(ids)
    for q,ans in qa:
        pre=sp.encode(" Question: "+q+" Answer:"); an=sp.encode(" Answer: "+ans)[len(sp.encode(" Answer:")):]
        # tokenise as one string so pieces match the recipe's lines
        ids+=pre; mask+=[0]*len(pre); ids+=an; mask+=[1]*len(an)
    return ids,mask
def batch(exs):
    T=max(len(i) for i,_ in exs); X=torch.full((len(exs),T),22); Y=torch.full((len(exs),T),-100)
    for r,(ids,mask) in enumerate(exs):
        X[r,:len(ids)]=torch.tensor(ids)
        for j in range(1,len(ids)):
            if a.mode=="full" or mask[j]: Y[r,j-1]=ids[j]
    return X,Y
def probe():
    m.eval(); ces=[]; right=0; tot=0; kinds={}
    with torch.no_grad():
        for doc,qa in val:
            ids,mask=example(doc,qa,"qa4"); X=torch.tensor([ids]); lp=m(X).log_softmax(-1)[0]
            # per answer
            j=1
            while j<len(ids):
                if mask[j]:
                    s=j; ok=True; kc=[]
                    while j<len(ids) and mask[j]:
                        kc.append(-lp[j-1,ids[j]].item()); ok&= lp[j-1].argmax().item()==ids[j]; j+=1
                    ces+=kc; kinds.setdefault(tot%4,[]).append(kc[0])
                    right+=ok; tot+=1
                else: j+=1
    m.train(); print("  first-token CE by QA slot:", {k:round(sum(v)/len(v),2) for k,v in kinds.items()}); return sum(ces)/len(ces), right/tot
opt=torch.optim.AdamW(m.parameters(),lr=a.lr,weight_decay=0.01)
t0=time.time(); print("start",probe(),flush=True)
for step in range(1,a.steps+1):
    lr=a.lr*min(1,step/30); 
    for g in opt.param_groups: g["lr"]=lr
    X,Y=batch([example(*random.choice(train),a.mode) for _ in range(a.batch)])
    loss=F.cross_entropy(m(X).view(-1,V),Y.view(-1),ignore_index=-100)
    opt.zero_grad(); loss.backward(); torch.nn.utils.clip_grad_norm_(m.parameters(),1.0); opt.step()
    if step%50==0:
        ce,em=probe(); print(f"step {step} loss {loss.item():.3f} probe CE {ce:.3f} EM {em:.2f} {time.time()-t0:.0f}s",flush=True)
    if time.time()-t0>a.seconds: break
