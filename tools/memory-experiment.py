#!/usr/bin/python3
"""A PyTorch twin of `clara train scp` on question lines ({"document", "question", "target"}), to find in minutes
what makes the generator read compressed memory: the engine's Mistral shape, the compressor input of spec §2 (<ENC>
<s> doc </s>, left-padded to L0, then n_mem memory tokens; memory = final-norm hidden states there), the generator
prompt of §5 with one slot in the chat template, CE on target + </s> plus lambda * the §2 alignment loss. Trains LoRA
adapters (encoder and decoder, as the engine) or, with --train base, the base weights too; probes teacher-forced exact
answers on validation lines grouped by how many facts the document holds. docs/default-model.md, run 5."""
import json, time, math, random, struct, argparse
import numpy as np, torch, torch.nn as nn, torch.nn.functional as F
import sentencepiece as spm

p = argparse.ArgumentParser()
p.add_argument("--init", required=True, help="a CLaRa model directory (model.safetensors, tokenizer.model, clara.json)")
p.add_argument("--data", required=True); p.add_argument("--val", required=True)
p.add_argument("--nmem", type=int, default=8); p.add_argument("--rank", type=int, default=32)
p.add_argument("--train", default="lora", choices=["lora", "base"])
p.add_argument("--lr", type=float, default=1e-3); p.add_argument("--batch", type=int, default=8)
p.add_argument("--steps", type=int, default=500); p.add_argument("--threads", type=int, default=1)
p.add_argument("--mse", type=float, default=1.0); p.add_argument("--probe-every", type=int, default=100)
p.add_argument("--facts", default="", help="keep training lines whose document has these many sentences, e.g. 1 or 1,2")
p.add_argument("--scale-memory", type=float, default=1.0, help="multiply spliced memory vectors (diagnostic only)")
a = p.parse_args()
torch.set_num_threads(a.threads); torch.manual_seed(0); random.seed(0)
sp = spm.SentencePieceProcessor(model_file=a.init + "/tokenizer.model")
H, NH, KV, HD, FF, V = 256, 8, 2, 32, 704, 1536
ENC, BOS, EOS, PAD, SEP = 19, 1, 2, 22, 20
MEM = list(range(3, 3 + a.nmem)); L0 = 64 + 3

def rope(x, pos):
    inv = 1.0 / (1e6 ** (torch.arange(0, HD, 2).float() / HD)); f = pos[..., None].float() * inv
    c, s = torch.cos(f), torch.sin(f); c = torch.cat([c, c], -1)[:, None]; s = torch.cat([s, s], -1)[:, None]
    x1, x2 = x[..., :HD // 2], x[..., HD // 2:]; return x * c + torch.cat([-x2, x1], -1) * s

class Lin(nn.Module):
    """A frozen-or-trained base weight with one LoRA pair per adapter; `Lin.active` picks the adapter."""
    active = "decoder"
    def __init__(s, i, o):
        super().__init__(); s.w = nn.Parameter(torch.empty(o, i)); s.A = nn.ParameterDict(); s.B = nn.ParameterDict()
        for n in ["encoder", "decoder"]:
            s.A[n] = nn.Parameter(torch.empty(a.rank, i).uniform_(-1 / math.sqrt(i), 1 / math.sqrt(i)))
            s.B[n] = nn.Parameter(torch.zeros(o, a.rank))
    def forward(s, x):
        y = x @ s.w.T
        if a.train == "lora": y = y + 2.0 * ((x @ s.A[Lin.active].T) @ s.B[Lin.active].T)
        return y

class RMS(nn.Module):
    def __init__(s): super().__init__(); s.w = nn.Parameter(torch.ones(H))
    def forward(s, x): return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + 1e-5) * s.w

class Layer(nn.Module):
    def __init__(s):
        super().__init__(); s.n1 = RMS(); s.n2 = RMS()
        s.q, s.k, s.v, s.o = Lin(H, NH * HD), Lin(H, KV * HD), Lin(H, KV * HD), Lin(NH * HD, H)
        s.g, s.u, s.d = Lin(H, FF), Lin(H, FF), Lin(FF, H)
    def forward(s, x, pos, keymask):
        B, T, _ = x.shape; h = s.n1(x)
        q = s.q(h).view(B, T, NH, HD).transpose(1, 2); k = s.k(h).view(B, T, KV, HD).transpose(1, 2); v = s.v(h).view(B, T, KV, HD).transpose(1, 2)
        q = rope(q, pos); k = rope(k, pos); k = k.repeat_interleave(NH // KV, 1); v = v.repeat_interleave(NH // KV, 1)
        att = (q @ k.transpose(-1, -2)) / math.sqrt(HD)
        bad = torch.triu(torch.ones(T, T, dtype=torch.bool), 1)[None, None] | ~keymask[:, None, None, :]
        att = att.masked_fill(bad, -1e9)
        y = (att.softmax(-1) @ v).transpose(1, 2).reshape(B, T, NH * HD); x = x + s.o(y)
        h = s.n2(x); return x + s.d(F.silu(s.g(h)) * s.u(h))

class M(nn.Module):
    def __init__(s):
        super().__init__(); s.e = nn.Embedding(V, H); s.ls = nn.ModuleList([Layer() for _ in range(4)]); s.n = RMS(); s.head = nn.Linear(H, V, bias=False)
    def hidden(s, x, pos, keymask):
        for l in s.ls: x = l(x, pos, keymask)
        return s.n(x)

m = M()
b = open(a.init + "/model.safetensors", "rb").read(); k = struct.unpack("<Q", b[:8])[0]; hd = json.loads(b[8:8 + k])
def t(n): x = hd[n]; s, e = x["data_offsets"]; return torch.tensor(np.frombuffer(b[8 + k + s:8 + k + e], dtype=np.float32).reshape(x["shape"]).copy())
m.e.weight.data = t("model.embed_tokens.weight"); m.head.weight.data = t("lm_head.weight"); m.n.w.data = t("model.norm.weight")
for i, l in enumerate(m.ls):
    P = f"model.layers.{i}."
    for mod, n in [(l.q, "self_attn.q_proj"), (l.k, "self_attn.k_proj"), (l.v, "self_attn.v_proj"), (l.o, "self_attn.o_proj"), (l.g, "mlp.gate_proj"), (l.u, "mlp.up_proj"), (l.d, "mlp.down_proj")]:
        mod.w.data = t(P + n + ".weight")
    l.n1.w.data = t(P + "input_layernorm.weight"); l.n2.w.data = t(P + "post_attention_layernorm.weight")
params = [q for n, q in m.named_parameters() if (".A." in n or ".B." in n) == (a.train == "lora")]
print("trained values", sum(q.numel() for q in params), flush=True)

SYSTEM = "You are a helpful assistant. Your task is to extract relevant information from provided documents and to answer to questions as briefly as possible."
PRE = sp.encode("[INST] " + SYSTEM + "\nBackground:\n")

def compress(docs):
    rows, masks = [], []
    for d in docs:
        seq = ([ENC, BOS] + sp.encode(d) + [EOS])[:L0]; pad = L0 - len(seq)
        rows.append([PAD] * pad + seq + MEM); masks.append([False] * pad + [True] * (len(seq) + a.nmem))
    X = torch.tensor(rows); KM = torch.tensor(masks); pos = torch.arange(X.shape[1])[None].expand(X.shape[0], -1)
    Lin.active = "encoder"; h = m.hidden(m.e(X), pos, KM); Lin.active = "decoder"
    mem = h[:, L0:]
    docmask = KM[:, :L0].float()[..., None]
    mdoc = (h[:, :L0] * docmask).sum(1) / docmask.sum(1)
    mse = ((mdoc - mem.mean(1)) ** 2).mean()
    return mem, mse

def generate_batch(lines):
    mem, mse = compress([l["document"] for l in lines])
    seqs, tgt = [], []
    for l in lines:
        post = sp.encode("\n\nQuestion:" + l["question"] + " [/INST]")
        ans = sp.encode(l["target"]) + [EOS]
        ids = [BOS] + PRE + MEM + [SEP] + post + ans
        seqs.append(ids); tgt.append(len(ids) - len(ans))
    T = max(len(s) for s in seqs); B = len(seqs)
    # left-pad, positions from the first real token, as the engine's batched generator
    X = torch.full((B, T), PAD); Y = torch.full((B, T), -100); KM = torch.zeros(B, T, dtype=torch.bool); pos = torch.zeros(B, T, dtype=torch.long)
    slot = []
    for r, s in enumerate(seqs):
        off = T - len(s); X[r, off:] = torch.tensor(s); KM[r, off:] = True; pos[r, off:] = torch.arange(len(s))
        for j in range(tgt[r], len(s)): Y[r, off + j - 1] = s[j]
        slot.append(off + 1 + len(PRE))
    x = m.e(X)
    rows = torch.arange(B)[:, None]; cols = torch.tensor(slot)[:, None] + torch.arange(a.nmem)[None]
    x = x.index_put((rows, cols), mem * a.scale_memory)
    logits = m.head(m.hidden(x, pos, KM))
    return logits, Y, mse

def read(path):
    rows = [json.loads(l) for l in open(path)]
    return rows
def facts(l): return l["document"].count(". ") + 1
train = read(a.data); val = read(a.val)
if a.facts: keep = {int(x) for x in a.facts.split(",")}; train = [l for l in train if facts(l) in keep]
print(len(train), "training lines", len(val), "validation lines", flush=True)

def probe():
    m.eval(); by = {}
    with torch.no_grad():
        for i in range(0, len(val), 16):
            lines = val[i:i + 16]; logits, Y, _ = generate_batch(lines)
            lp = logits.log_softmax(-1)
            for r, l in enumerate(lines):
                sel = Y[r] != -100; tg = Y[r][sel]; pr = lp[r][sel]
                ce = -pr.gather(1, tg[:, None]).mean().item(); ok = bool((pr.argmax(-1) == tg).all())
                d = by.setdefault(facts(l), [0, 0, 0.0]); d[0] += ok; d[1] += 1; d[2] += ce
    m.train()
    return " ".join(f"{f}fact {d[0]}/{d[1]} ({d[2] / d[1]:.2f})" for f, d in sorted(by.items()))

opt = torch.optim.AdamW(params, lr=a.lr, weight_decay=0.01)
t0 = time.time(); print("start", probe(), flush=True)
for step in range(1, a.steps + 1):
    lr = a.lr * min(1, step / 20)
    for g in opt.param_groups: g["lr"] = lr
    logits, Y, mse = generate_batch(random.sample(train, a.batch))
    ce = F.cross_entropy(logits.reshape(-1, V), Y.reshape(-1), ignore_index=-100); loss = ce + a.mse * mse
    opt.zero_grad(); loss.backward(); torch.nn.utils.clip_grad_norm_(params, 1.0); opt.step()
    if step % 20 == 0: print(f"step {step} ce {ce.item():.3f} mse {mse.item():.4f} {time.time() - t0:.0f}s", flush=True)
    if step % a.probe_every == 0: print(f"probe {step}:", probe(), flush=True)
