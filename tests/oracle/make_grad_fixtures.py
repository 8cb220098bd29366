#!/usr/bin/python3
"""PyTorch autograd references for the training ops of IKernels (the "Training" section of IKernels.cs).

Writes tests/fixtures/kernels/grad/*.safetensors, read by tests/Clara.Engine.Tests/Kernels/Grad/*.cs:
  gemm.safetensors                alpha·op(a)·op(b) + beta·c for every transpose pair, five shape classes, bf16 b
  vector.safetensors              a + alpha·b, scaled sum, sum of squares
  swiglu_backward.safetensors     autograd of silu(gate)·up
  scatter_add.safetensors         index_add_ with repeated rows
  rmsnorm_backward.safetensors    autograd of HF LlamaRMSNorm (f32 and bf16 weight), weight gradient accumulated
  rope_backward.safetensors       autograd of HF rotate_half RoPE
  sequence_attention.safetensors  causal GQA attention with left padding: output, log-sum-exp, dQ, dK, dV
  cross_entropy.safetensors       F.cross_entropy (two ignore indices): losses, log-sum-exp, gradient of a scaled sum
  alignment.safetensors           spec §2 alignment loss and its gradient (accumulated)
  cosine_backward.safetensors     autograd of F.normalize cosine scores w.r.t. the query (f32 and bf16 candidates)
                                  and w.r.t. the candidates (f32)
  topk.safetensors                spec §4 straight-through top-k with near ties, k ≥ 2
  adamw.safetensors               one torch.optim.AdamW step from a mid-training state, gradient pre-scaled

Every reference comes from PyTorch (autograd, or float64 arithmetic where stated), never from the engine.
Run with the system Python (PyTorch 1.13):  /usr/bin/python3 tests/oracle/make_grad_fixtures.py
Seeded and single-threaded: rerunning rewrites identical files; it prints each file's size and sha256 prefix.
Scalars are stored as 1-element F64/I64 tensors next to the data.
"""
import hashlib
import math
from pathlib import Path

import torch
import torch.nn.functional as F

from make_kernel_fixtures import write_safetensors, scalar

OUT = Path(__file__).resolve().parent.parent / "fixtures" / "kernels" / "grad"


def save(name: str, tensors: dict) -> None:
    path = OUT / name
    write_safetensors(path, tensors)
    print(f"  sha256 {hashlib.sha256(path.read_bytes()).hexdigest()[:12]}")


def gemm(gen: torch.Generator) -> None:
    # Shape classes of the CPU dispatch: 2 rows (weight streaming), thin (LoRA-like N ≤ 64), large (cache-blocked).
    # Then N a multiple of 16 with few rows (LoRA's dA) or few columns (dH, dB): b as stored is read directly.
    shapes = {"rows2": (2, 19, 13), "thin": (7, 11, 37), "large": (17, 65, 66), "direct_rows": (5, 32, 40), "direct_columns": (37, 16, 29)}
    tensors = {}
    for label, (m, n, k) in shapes.items():
        for ta in (False, True):
            for tb in (False, True):
                for dtype in (torch.float32, torch.bfloat16):
                    # bf16 b is a frozen weight: forward (b transposed) and dX = dY·W (b as stored).
                    if dtype == torch.bfloat16 and (label in ("rows2", "direct_rows", "direct_columns") or ta):
                        continue
                    prefix = f"{label}.{'t' if ta else 'n'}{'t' if tb else 'n'}.{'bf16' if dtype == torch.bfloat16 else 'f32'}"
                    a = torch.randn(*((k, m) if ta else (m, k)), generator=gen)
                    b = torch.randn(*((n, k) if tb else (k, n)), generator=gen).to(dtype)
                    c = torch.randn(m, n, generator=gen)
                    alpha, beta = 0.75, (0.0 if tb else -0.5)
                    opa = a.double().t() if ta else a.double()
                    opb = b.double().t() if tb else b.double()
                    out = alpha * (opa @ opb) + beta * c.double()
                    tensors.update({f"{prefix}.a": a, f"{prefix}.b": b, f"{prefix}.c": c,
                                    f"{prefix}.alpha": scalar(alpha), f"{prefix}.beta": scalar(beta),
                                    f"{prefix}.out": out.float()})
    save("gemm.safetensors", tensors)


def vector(gen: torch.Generator) -> None:
    a = torch.randn(5, 67, generator=gen)
    b = torch.randn(5, 67, generator=gen)
    big = torch.randn(20011, generator=gen) + 0.25
    save("vector.safetensors", {
        "a": a, "b": b, "alpha": scalar(-1.5),
        "add_scaled": (a.double() - 1.5 * b.double()).float(),
        "big": big, "sum_scale": scalar(1 / 3),
        "sum": (big.double().sum() / 3).float().reshape(1),
        "sum_of_squares": (big.double() ** 2).sum().float().reshape(1),
    })


def swiglu_backward(gen: torch.Generator) -> None:
    gate = (torch.randn(6, 41, generator=gen) * 3).requires_grad_(True)
    up = torch.randn(6, 41, generator=gen).requires_grad_(True)
    upstream = torch.randn(6, 41, generator=gen)
    (F.silu(gate) * up * upstream).sum().backward()
    save("swiglu_backward.safetensors", {"gate": gate.detach(), "up": up.detach(), "grad_out": upstream,
                                         "grad_gate": gate.grad, "grad_up": up.grad})


def scatter_add(gen: torch.Generator) -> None:
    source = torch.randn(9, 13, generator=gen)
    rows = torch.tensor([4, 0, 4, 7, 2, 4, 0, 6, 1], dtype=torch.int64)
    target = torch.randn(8, 13, generator=gen)
    save("scatter_add.safetensors", {"source": source, "rows": rows.to(torch.int32), "target": target,
                                     "out": target.clone().index_add_(0, rows, source)})


def rms_norm(x, weight, eps):
    """HF LlamaRMSNorm on fp32 activations, the weight widened from its storage."""
    variance = x.pow(2).mean(-1, keepdim=True)
    return weight.float() * (x * torch.rsqrt(variance + eps))


def rmsnorm_backward(gen: torch.Generator) -> None:
    tensors = {}
    for label, dtype in (("f32", torch.float32), ("bf16", torch.bfloat16)):
        x = (torch.randn(11, 53, generator=gen) * 2).requires_grad_(True)
        weight_stored = (torch.rand(53, generator=gen) + 0.5).to(dtype)
        w = weight_stored.float().clone().requires_grad_(True)
        upstream = torch.randn(11, 53, generator=gen)
        grad_weight0 = torch.randn(53, generator=gen)
        eps = 1e-5
        (rms_norm(x, w, eps) * upstream).sum().backward()
        tensors.update({f"{label}.input": x.detach(), f"{label}.weight": weight_stored, f"{label}.eps": scalar(eps),
                        f"{label}.grad_out": upstream, f"{label}.grad_input": x.grad,
                        f"{label}.grad_weight0": grad_weight0, f"{label}.grad_weight": grad_weight0 + w.grad})
    save("rmsnorm_backward.safetensors", tensors)


def rotate_half(x):
    half = x.shape[-1] // 2
    return torch.cat((-x[..., half:], x[..., :half]), dim=-1)


def rope(x, positions, head_dim, theta):
    """HF rotary embedding (rotate_half) on [rows, heads·head_dim] with fp32 frequencies."""
    rows = x.shape[0]
    inv_freq = 1.0 / (theta ** (torch.arange(0, head_dim, 2, dtype=torch.int64).float() / head_dim))
    freqs = positions.float()[:, None] * inv_freq[None, :]
    emb = torch.cat((freqs, freqs), dim=-1)
    cos, sin = emb.cos()[:, None, :], emb.sin()[:, None, :]
    heads = x.view(rows, -1, head_dim)
    return (heads * cos + rotate_half(heads) * sin).reshape(rows, -1)


def rope_backward(gen: torch.Generator) -> None:
    head_dim, theta = 10, 10000.0
    positions = torch.tensor([0, 1, 2, 3, 0, 0, 1, 2, 977], dtype=torch.int64)
    x = torch.randn(9, 3 * head_dim, generator=gen).requires_grad_(True)
    upstream = torch.randn(9, 3 * head_dim, generator=gen)
    (rope(x, positions, head_dim, theta) * upstream).sum().backward()
    save("rope_backward.safetensors", {"grad_out": upstream, "positions": positions.to(torch.int32),
                                       "head_dim": scalar(head_dim, torch.int64), "theta": scalar(theta),
                                       "grad_input": x.grad})


def sequence_attention_case(prefix, batch, t, heads, kv_heads, d, padding, gen):
    """Causal GQA over whole sequences with left padding; a query that sees no key outputs 0 and has log-sum-exp 0."""
    scale = 1.0 / math.sqrt(d)
    q = torch.randn(batch * t, heads * d, generator=gen).requires_grad_(True)
    k = torch.randn(batch * t, kv_heads * d, generator=gen).requires_grad_(True)
    v = torch.randn(batch * t, kv_heads * d, generator=gen).requires_grad_(True)
    mask = torch.ones(batch, t, dtype=torch.int32)
    for b, p in enumerate(padding):
        mask[b, :p] = 0
    qh = q.view(batch, t, heads, d).transpose(1, 2)                                     # [B, H, T, d]
    group = heads // kv_heads
    kh = k.view(batch, t, kv_heads, d).transpose(1, 2).repeat_interleave(group, dim=1)  # [B, H, T, d]
    vh = v.view(batch, t, kv_heads, d).transpose(1, 2).repeat_interleave(group, dim=1)
    causal = torch.ones(t, t, dtype=torch.bool).tril()
    allowed = causal[None, None] & (mask[:, None, None, :] != 0)                        # [B, 1, T, T]
    allowed = allowed.expand(batch, heads, t, t)
    seen = allowed.any(-1, keepdim=True)                                                # [B, H, T, 1]
    scores = (qh @ kh.transpose(-1, -2)) * scale
    # A row with no visible key gets finite scores (all 0) and is then zeroed, so autograd never meets a NaN.
    scores = scores.masked_fill(~allowed, float("-inf")).masked_fill(~seen, 0.0)
    probs = torch.softmax(scores, dim=-1) * seen
    lse = torch.logsumexp(scores, dim=-1) * seen.squeeze(-1)
    out = (probs @ vh).transpose(1, 2).reshape(batch * t, heads * d)
    upstream = torch.randn(batch * t, heads * d, generator=gen)
    (out * upstream).sum().backward()
    return {
        f"{prefix}.query": q.detach(), f"{prefix}.key": k.detach(), f"{prefix}.value": v.detach(), f"{prefix}.mask": mask,
        f"{prefix}.layout": torch.tensor([batch, t, heads, kv_heads, d], dtype=torch.int64), f"{prefix}.scale": scalar(scale),
        f"{prefix}.output": out.detach(), f"{prefix}.lse": lse.detach().contiguous(), f"{prefix}.grad_out": upstream,
        f"{prefix}.grad_query": q.grad, f"{prefix}.grad_key": k.grad, f"{prefix}.grad_value": v.grad,
    }


def sequence_attention(gen: torch.Generator) -> None:
    tensors = {}
    tensors.update(sequence_attention_case("gqa2_padded", 2, 7, 4, 2, 8, [0, 3], gen))
    tensors.update(sequence_attention_case("mha", 1, 9, 2, 2, 16, [0], gen))
    tensors.update(sequence_attention_case("gqa4_long", 2, 40, 4, 1, 12, [5, 0], gen))
    save("sequence_attention.safetensors", tensors)


def cross_entropy(gen: torch.Generator) -> None:
    tensors = {}
    for label, ignore, rows, vocab in (("default_ignore", -100, 9, 37), ("custom_ignore", 3, 6, 129)):
        logits = (torch.randn(rows, vocab, generator=gen) * 3).requires_grad_(True)
        targets = torch.randint(0, vocab, (rows,), generator=gen)
        targets[1] = ignore
        targets[rows - 1] = ignore
        if ignore >= 0:
            targets[2] = (ignore + 1) % vocab
        losses = F.cross_entropy(logits, targets, ignore_index=ignore, reduction="none")
        scale = 1.0 / 7.0
        (losses.sum() * scale).backward()
        tensors.update({f"{label}.logits": logits.detach(), f"{label}.targets": targets.to(torch.int32),
                        f"{label}.ignore_index": scalar(ignore, torch.int64), f"{label}.scale": scalar(scale),
                        f"{label}.losses": losses.detach(), f"{label}.lse": torch.logsumexp(logits.detach(), -1),
                        f"{label}.grad_logits": logits.grad})
    save("cross_entropy.safetensors", tensors)


def alignment(gen: torch.Generator) -> None:
    batch, length, width = 3, 9, 11
    hidden = torch.randn(batch, length, width, generator=gen).requires_grad_(True)
    roles = torch.tensor([
        [0, 0, 1, 1, 1, 1, 2, 2, 2],
        [1, 1, 1, 1, 1, 1, 1, 2, 2],
        [0, 0, 0, 0, 1, 2, 2, 2, 2],
    ], dtype=torch.int32)
    doc = (roles == 1).float().unsqueeze(-1)
    mem = (roles == 2).float().unsqueeze(-1)
    doc_mean = (hidden * doc).sum(1) / doc.sum(1)
    mem_mean = (hidden * mem).sum(1) / mem.sum(1)
    mse = ((doc_mean - mem_mean) ** 2).mean(-1)
    grad_scale = 0.7
    (mse.sum() * grad_scale).backward()
    grad_hidden0 = torch.randn(batch, length, width, generator=gen)
    save("alignment.safetensors", {"hidden": hidden.detach(), "roles": roles, "doc_mean": doc_mean.detach(),
                                   "mem_mean": mem_mean.detach(), "mse": mse.detach(), "grad_scale": scalar(grad_scale),
                                   "grad_hidden0": grad_hidden0, "grad_hidden": grad_hidden0 + hidden.grad})


def cosine_backward(gen: torch.Generator) -> None:
    tensors = {}
    for label, dtype in (("f32", torch.float32), ("bf16", torch.bfloat16)):
        query = torch.randn(29, generator=gen).requires_grad_(True)
        candidates = torch.randn(6, 29, generator=gen).to(dtype)
        upstream = torch.randn(6, generator=gen)
        grad_query0 = torch.randn(29, generator=gen)
        scores = F.normalize(candidates.float(), dim=-1, eps=1e-12) @ F.normalize(query, dim=-1, eps=1e-12)
        (scores * upstream).sum().backward()
        tensors.update({f"{label}.query": query.detach(), f"{label}.candidates": candidates, f"{label}.grad_scores": upstream,
                        f"{label}.scores": scores.detach(), f"{label}.grad_query0": grad_query0,
                        f"{label}.grad_query": grad_query0 + query.grad})
    # With respect to the candidates (a compressor trained where the scores are): F32 only, accumulated into.
    query = torch.randn(29, generator=gen)
    candidates = torch.randn(6, 29, generator=gen).requires_grad_(True)
    upstream = torch.randn(6, generator=gen)
    grad_candidates0 = torch.randn(6, 29, generator=gen)
    scores = F.normalize(candidates, dim=-1, eps=1e-12) @ F.normalize(query, dim=-1, eps=1e-12)
    (scores * upstream).sum().backward()
    tensors.update({"candidates.query": query, "candidates.candidates": candidates.detach(), "candidates.grad_scores": upstream,
                    "candidates.grad_candidates0": grad_candidates0, "candidates.grad_candidates": grad_candidates0 + candidates.grad})
    save("cosine_backward.safetensors", tensors)


def topk(gen: torch.Generator) -> None:
    from make_kernel_fixtures import straight_through
    batch, n, k, temperature = 2, 9, 3, 0.05
    scores = torch.rand(batch, n, generator=gen) * 2 - 1
    # Near ties: two candidates 2e-4 apart in each row (5e-3 apart after /τ, far above fp32 noise) inside the top k.
    scores[0, 5] = scores[0].max() + 0.01
    scores[0, 2] = scores[0, 5] - 2e-4
    scores[1, 7] = scores[1].max() + 0.01
    scores[1, 0] = scores[1, 7] - 2e-4
    s = scores.clone().requires_grad_(True)
    hard, soft, indices, weights = straight_through(s, k, temperature)
    upstream = torch.randn(batch, k, n, generator=gen)
    (weights * upstream).sum().backward()
    assert torch.equal(weights.detach(), hard), "the forward value of W must be exactly H"
    save("topk.safetensors", {"scores": scores, "k": scalar(k, torch.int64), "temperature": scalar(temperature),
                              "hard": hard, "soft": soft.detach(), "indices": indices.to(torch.int32),
                              "grad_weights": upstream, "grad_scores": s.grad})


def adamw(gen: torch.Generator) -> None:
    n, step, grad_scale = 23, 7, 0.4
    lr, betas, eps, wd = 2e-3, (0.9, 0.98), 1e-7, 0.05
    param0 = torch.randn(n, generator=gen)
    exp_avg0 = torch.randn(n, generator=gen) * 0.1
    exp_avg_sq0 = torch.rand(n, generator=gen) * 0.01
    grad = torch.randn(n, generator=gen)
    p = torch.nn.Parameter(param0.clone())
    opt = torch.optim.AdamW([p], lr=lr, betas=betas, eps=eps, weight_decay=wd, foreach=False)
    # Resume mid-training: the state after step − 1 updates, then one more update with the clipped gradient.
    opt.state[p] = {"step": torch.tensor(float(step - 1)), "exp_avg": exp_avg0.clone(), "exp_avg_sq": exp_avg_sq0.clone()}
    p.grad = grad * grad_scale
    opt.step()
    save("adamw.safetensors", {"param0": param0, "exp_avg0": exp_avg0, "exp_avg_sq0": exp_avg_sq0, "grad": grad,
                               "grad_scale": scalar(grad_scale), "step": scalar(step, torch.int64), "lr": scalar(lr),
                               "beta1": scalar(betas[0]), "beta2": scalar(betas[1]), "eps": scalar(eps),
                               "weight_decay": scalar(wd), "param": p.detach().clone(),
                               "exp_avg": opt.state[p]["exp_avg"].clone(), "exp_avg_sq": opt.state[p]["exp_avg_sq"].clone()})


def main() -> None:
    torch.set_num_threads(1)
    torch.manual_seed(0)
    OUT.mkdir(parents=True, exist_ok=True)
    gemm(torch.Generator().manual_seed(11))
    vector(torch.Generator().manual_seed(12))
    swiglu_backward(torch.Generator().manual_seed(13))
    scatter_add(torch.Generator().manual_seed(14))
    rmsnorm_backward(torch.Generator().manual_seed(15))
    rope_backward(torch.Generator().manual_seed(16))
    sequence_attention(torch.Generator().manual_seed(17))
    cross_entropy(torch.Generator().manual_seed(18))
    alignment(torch.Generator().manual_seed(19))
    cosine_backward(torch.Generator().manual_seed(20))
    topk(torch.Generator().manual_seed(21))
    adamw(torch.Generator().manual_seed(22))


if __name__ == "__main__":
    main()
