#!/usr/bin/python3
"""PyTorch reference values for the CPU twins of the training-side CUDA kernels.

Writes tests/fixtures/kernels/*.safetensors, read by tests/Clara.Engine.Tests/Kernels/*TwinTests.cs:
  cross_entropy.safetensors        F.cross_entropy (ignore_index) losses, log-sum-exp, autograd gradient
  topk_straight_through.safetensors spec §4 top-k: hard picks, soft slots, autograd score gradient
  adamw.safetensors                torch.optim.AdamW (single-tensor path) over several steps
  memory_alignment.safetensors     spec §2 alignment loss (masked means, MSE) and its autograd gradient
  casts.safetensors                f32 -> bf16 / f16 rounding, bf16 <-> f16, including edge values
  gemv.safetensors                 decode products x @ W.T with F32/BF16/F16 weights (odd sizes, subnormals, inf)
  q8_gemv.safetensors              llama.cpp's Q8_0 quantisation of weights, and products with the dequantised weights

Run with the system Python (PyTorch 1.13 lives there):  /usr/bin/python3 tests/oracle/make_kernel_fixtures.py
Seeded, single-threaded and deterministic: rerunning rewrites identical files.
Scalars (hyperparameters, k, temperature) are stored as 1-element F64/I64 tensors next to the data.
"""
import json
import math
import struct
from pathlib import Path

import torch
import torch.nn.functional as F

OUT = Path(__file__).resolve().parent.parent / "fixtures" / "kernels"

DTYPES = {
    torch.float32: "F32",
    torch.float64: "F64",
    torch.bfloat16: "BF16",
    torch.float16: "F16",
    torch.int32: "I32",
    torch.int64: "I64",
    torch.int8: "I8",
}


def raw_bytes(t: torch.Tensor) -> bytes:
    t = t.contiguous()
    if t.dtype in (torch.bfloat16, torch.float16):
        # numpy has no bfloat16: reinterpret the 16-bit patterns as int16 (little-endian like the file).
        return t.view(torch.int16).numpy().tobytes()
    return t.numpy().tobytes()


def write_safetensors(path: Path, tensors: dict) -> None:
    """The safetensors layout: u64 little-endian header length, JSON header, packed data (8-byte aligned header)."""
    header, blobs, offset = {}, [], 0
    for name in sorted(tensors):
        t = tensors[name]
        data = raw_bytes(t)
        header[name] = {"dtype": DTYPES[t.dtype], "shape": list(t.shape), "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    text = json.dumps(header, separators=(",", ":")).encode("utf-8")
    text += b" " * ((8 - len(text) % 8) % 8)
    path.write_bytes(struct.pack("<Q", len(text)) + text + b"".join(blobs))
    print(f"wrote {path.relative_to(OUT.parent.parent.parent)} ({path.stat().st_size} bytes, {len(tensors)} tensors)")


def scalar(value, dtype=torch.float64) -> torch.Tensor:
    return torch.tensor([value], dtype=dtype)


def cross_entropy_case(prefix: str, rows: int, width: int, ignored: list, gen: torch.Generator) -> dict:
    logits = (torch.randn(rows, width, generator=gen) * 3.0).float()
    targets = torch.randint(0, width, (rows,), generator=gen)
    for r in ignored:
        targets[r] = -100
    x = logits.clone().requires_grad_(True)
    loss = F.cross_entropy(x, targets, ignore_index=-100, reduction="mean")
    loss.backward()
    losses = F.cross_entropy(logits, targets, ignore_index=-100, reduction="none")
    return {
        f"{prefix}.logits": logits,
        f"{prefix}.targets": targets.to(torch.int32),
        f"{prefix}.losses": losses,
        f"{prefix}.logsumexp": torch.logsumexp(logits, dim=-1),
        f"{prefix}.mean_loss": loss.detach().reshape(1),
        f"{prefix}.grad_logits": x.grad,
    }


def cross_entropy(gen: torch.Generator) -> None:
    tensors = {}
    tensors.update(cross_entropy_case("small", 7, 33, [2, 5], gen))
    tensors.update(cross_entropy_case("wide", 3, 4099, [1], gen))
    write_safetensors(OUT / "cross_entropy.safetensors", tensors)


def straight_through(scores: torch.Tensor, k: int, temperature: float):
    """Spec §4, one batch row at a time: hard picks H, slot softmaxes P, W = H + (P - stopgrad(P))."""
    z = scores / max(temperature, 1e-6)
    hard_rows, soft_rows, index_rows = [], [], []
    for b in range(scores.shape[0]):
        idx = torch.topk(z[b].detach(), k).indices
        hard = torch.zeros(k, scores.shape[1])
        hard[torch.arange(k), idx] = 1.0
        taken = torch.zeros(scores.shape[1])
        slots = []
        for j in range(k):
            slots.append(torch.softmax(z[b] + torch.log(1 - taken + 1e-8), dim=-1))
            taken = taken + hard[j]
        hard_rows.append(hard)
        soft_rows.append(torch.stack(slots))
        index_rows.append(idx)
    hard = torch.stack(hard_rows)
    soft = torch.stack(soft_rows)
    weights = hard + (soft - soft.detach())
    return hard, soft, torch.stack(index_rows), weights


def topk_case(prefix: str, batch: int, n: int, k: int, temperature: float, gen: torch.Generator) -> dict:
    while True:
        scores = torch.rand(batch, n, generator=gen) * 2 - 1
        # Keep the hard picks unambiguous: the sorted scores must be well separated.
        gaps = scores.sort(dim=-1).values.diff(dim=-1)
        if gaps.min() > 1e-3:
            break
    s = scores.clone().requires_grad_(True)
    hard, soft, indices, weights = straight_through(s, k, temperature)
    upstream = torch.randn(batch, k, n, generator=gen)
    (weights * upstream).sum().backward()
    assert torch.equal(weights.detach(), hard), "the forward value of W must be exactly H"
    return {
        f"{prefix}.scores": scores,
        f"{prefix}.k": scalar(k, torch.int64),
        f"{prefix}.temperature": scalar(temperature),
        f"{prefix}.hard": hard,
        f"{prefix}.soft": soft.detach(),
        f"{prefix}.indices": indices.to(torch.int32),
        f"{prefix}.grad_weights": upstream,
        f"{prefix}.grad_scores": s.grad,
    }


def topk(gen: torch.Generator) -> None:
    tensors = {}
    tensors.update(topk_case("warm", 3, 11, 4, 0.1, gen))
    tensors.update(topk_case("reference_tau", 2, 7, 3, 0.02, gen))
    tensors.update(topk_case("all", 1, 5, 5, 0.5, gen))
    write_safetensors(OUT / "topk_straight_through.safetensors", tensors)


def adamw_case(prefix: str, n: int, steps: int, lr, betas, eps, weight_decay, gen: torch.Generator) -> dict:
    param0 = torch.randn(n, generator=gen)
    grads = torch.randn(steps, n, generator=gen) * 0.5
    p = torch.nn.Parameter(param0.clone())
    opt = torch.optim.AdamW([p], lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, foreach=False)
    params, avgs, avg_sqs = [], [], []
    for t in range(steps):
        p.grad = grads[t].clone()
        opt.step()
        state = opt.state[p]
        params.append(p.detach().clone())
        avgs.append(state["exp_avg"].clone())
        avg_sqs.append(state["exp_avg_sq"].clone())
    return {
        f"{prefix}.param0": param0,
        f"{prefix}.grads": grads,
        f"{prefix}.params": torch.stack(params),
        f"{prefix}.exp_avg": torch.stack(avgs),
        f"{prefix}.exp_avg_sq": torch.stack(avg_sqs),
        f"{prefix}.lr": scalar(lr),
        f"{prefix}.beta1": scalar(betas[0]),
        f"{prefix}.beta2": scalar(betas[1]),
        f"{prefix}.eps": scalar(eps),
        f"{prefix}.weight_decay": scalar(weight_decay),
    }


def adamw(gen: torch.Generator) -> None:
    tensors = {}
    tensors.update(adamw_case("defaults", 37, 4, 1e-3, (0.9, 0.999), 1e-8, 1e-2, gen))
    tensors.update(adamw_case("aggressive", 19, 5, 5e-2, (0.8, 0.95), 1e-6, 0.1, gen))
    write_safetensors(OUT / "adamw.safetensors", tensors)


def memory_alignment(gen: torch.Generator) -> None:
    batch, length, width = 3, 10, 13
    hidden = torch.randn(batch, length, width, generator=gen)
    # Left padding (0), document positions (1), then the memory tokens (2), as the §2 encoder lays them out.
    roles = torch.tensor([
        [0, 0, 1, 1, 1, 1, 1, 2, 2, 2],
        [1, 1, 1, 1, 1, 1, 1, 2, 2, 2],
        [0, 0, 0, 0, 0, 1, 1, 2, 2, 2],
    ], dtype=torch.int32)
    h = hidden.clone().requires_grad_(True)
    doc = (roles == 1).float().unsqueeze(-1)
    mem = (roles == 2).float().unsqueeze(-1)
    doc_mean = (h * doc).sum(1) / doc.sum(1)
    mem_mean = (h * mem).sum(1) / mem.sum(1)
    mse = ((doc_mean - mem_mean) ** 2).mean(-1)
    upstream = torch.randn(batch, generator=gen)
    (mse * upstream).sum().backward()
    write_safetensors(OUT / "memory_alignment.safetensors", {
        "hidden": hidden,
        "roles": roles,
        "doc_mean": doc_mean.detach(),
        "mem_mean": mem_mean.detach(),
        "mse": mse.detach(),
        "grad_mse": upstream,
        "grad_hidden": h.grad,
    })


def casts(gen: torch.Generator) -> None:
    tiny_f16 = 2.0 ** -24  # smallest f16 subnormal
    specials = torch.tensor([
        0.0, -0.0, 1.0, -1.0, math.inf, -math.inf,
        1.0 + 2.0 ** -8, 1.0 + 3 * 2.0 ** -8,          # bf16 ties: round to even, down then up
        1.0 + 2.0 ** -11, 1.0 + 3 * 2.0 ** -11,        # f16 ties
        65504.0, 65520.0, 1e6, -1e6,                   # f16 max, first value rounding to inf, overflow
        tiny_f16, tiny_f16 / 2, tiny_f16 * 1.5, 1e-30, 3.0e38, -3.3e38,
    ], dtype=torch.float32)
    values = torch.cat([specials, torch.randn(200, generator=gen) * 10, torch.randn(50, generator=gen) * 1e-5])
    as_bf16 = values.to(torch.bfloat16)
    as_f16 = values.to(torch.float16)
    write_safetensors(OUT / "casts.safetensors", {
        "f32": values,
        "bf16": as_bf16,
        "f16": as_f16,
        "bf16_to_f16": as_bf16.to(torch.float16),
        "f16_to_bf16": as_f16.to(torch.bfloat16),
    })


GEMV_SHAPES = [(1, 5, 7), (1, 67, 301), (1, 515, 263), (2, 37, 129), (3, 75, 96), (16, 83, 130), (7, 45, 144), (13, 21, 37)]


def gemv(gen: torch.Generator) -> None:
    """y = x @ W.float().T in float64 for the decode (few input rows) matmul path, per weight dtype.

    The 16-bit weights hold values each format rounds specially: zeros of both signs and, for f16, subnormals.
    Case 'f16_special' puts +inf, -inf and NaN in single weights (their output columns become inf/NaN).
    """
    tensors = {}
    for dtype, name in ((torch.float32, "f32"), (torch.bfloat16, "bf16"), (torch.float16, "f16")):
        for m, n, k in GEMV_SHAPES:
            x = torch.randn(m, k, generator=gen)
            w = (torch.randn(n, k, generator=gen) * 0.5).to(dtype)
            flat = w.view(-1)
            flat[0], flat[1] = 0.0, -0.0
            if dtype == torch.float16:
                flat[2:6] = torch.tensor([2.0 ** -24, -(2.0 ** -20), 3 * 2.0 ** -17, -(2.0 ** -14)])
            key = f"{name}_{m}x{n}x{k}"
            tensors[key + ".x"] = x
            tensors[key + ".w"] = w
            tensors[key + ".y"] = (x.double() @ w.double().T).float()
    x = torch.randn(2, 40, generator=gen)
    w = torch.randn(8, 40, generator=gen).to(torch.float16)
    w[3, 5], w[5, 0], w[6, 2] = math.inf, -math.inf, math.nan
    tensors["f16_special.x"] = x
    tensors["f16_special.w"] = w
    tensors["f16_special.y"] = (x.double() @ w.double().T).float()
    write_safetensors(OUT / "gemv.safetensors", tensors)


Q8_SHAPES = [(1, 5, 32), (1, 67, 320), (1, 515, 256), (2, 37, 128), (3, 75, 96), (16, 83, 160), (17, 29, 64), (40, 130, 192),
             (7, 45, 288), (2, 9, 544), (21, 72, 96), (33, 100, 320)]


def q8_quantise(w: torch.Tensor):
    """llama.cpp's quantize_row_q8_0_ref per block of 32 along rows: d = max|w| / 127 (fp32), q = roundf(w * (1 / d))
    (half away from zero; the product in fp32 as in C, the rounding in float64 so it is exact), scale stored as f16."""
    n, k = w.shape
    blocks = w.reshape(n, k // 32, 32)
    d = blocks.abs().amax(dim=2) / 127.0
    inverse = torch.where(d != 0, 1.0 / d, torch.zeros_like(d))
    v = (blocks * inverse.unsqueeze(2)).double()
    q = (torch.sign(v) * torch.floor(v.abs() + 0.5)).to(torch.int8).reshape(n, k)
    return q, d.to(torch.float16)


def q8_dequantise(q: torch.Tensor, scales: torch.Tensor) -> torch.Tensor:
    n, k = q.shape
    return (q.double().reshape(n, k // 32, 32) * scales.double().unsqueeze(2)).reshape(n, k)


def q8_int8_product(x: torch.Tensor, q: torch.Tensor, scales: torch.Tensor) -> torch.Tensor:
    """The engine's Int8 kind: x quantised per block like llama.cpp's AVX2 quantize_row_q8_0 (d = max|x| / 127 kept in
    fp32, q = x * (127 / max|x|) in fp32 rounded half to even), integer block sums, scaled in float64."""
    m, k = x.shape
    blocks = x.reshape(m, k // 32, 32)
    amax = blocks.abs().amax(dim=2)
    dx = amax / 127.0
    ix = torch.where(amax != 0, 127.0 / amax, torch.zeros_like(amax))
    xq = torch.round((blocks * ix.unsqueeze(2)).double())  # torch.round: half to even
    wq = q.double().reshape(q.shape[0], k // 32, 32)
    sums = torch.einsum("mbj,nbj->mnb", xq, wq)  # exact: integers below 2^53
    return (sums * dx.double().unsqueeze(1) * scales.double().unsqueeze(0)).sum(dim=2)


def q8_gemv(gen: torch.Generator) -> None:
    """Q8_0 weights: the quantisation of fp32 weights (q, scales) and y = x @ dequant(q, scales).T in float64 (fp32
    activations), plus y_int8 (activations quantised as the int8 kernel does). Rows 0 and 1 of every weight are an
    all-zero block and a block with exact ties (max 127, so d = 1 and w · (1/d) = w)."""
    tensors = {}
    for m, n, k in Q8_SHAPES:
        x = torch.randn(m, k, generator=gen)
        w = torch.randn(n, k, generator=gen) * 0.05
        w[0, :32] = 0.0
        if n > 1:
            w[1, :32] = torch.tensor([127.0, 2.5, -2.5, 0.5, -0.5, 1.5, -1.5, 126.5] + [3.25] * 24)
        q, scales = q8_quantise(w)
        key = f"q8_{m}x{n}x{k}"
        tensors[key + ".x"] = x
        tensors[key + ".w"] = w
        tensors[key + ".q"] = q
        tensors[key + ".scales"] = scales
        tensors[key + ".y"] = (x.double() @ q8_dequantise(q, scales).T).float()
        tensors[key + ".y_int8"] = q8_int8_product(x, q, scales).float()
    write_safetensors(OUT / "q8_gemv.safetensors", tensors)


def main() -> None:
    torch.set_num_threads(1)
    torch.manual_seed(0)
    OUT.mkdir(parents=True, exist_ok=True)
    cross_entropy(torch.Generator().manual_seed(1))
    topk(torch.Generator().manual_seed(2))
    adamw(torch.Generator().manual_seed(3))
    memory_alignment(torch.Generator().manual_seed(4))
    casts(torch.Generator().manual_seed(5))
    gemv(torch.Generator().manual_seed(6))
    q8_gemv(torch.Generator().manual_seed(7))


if __name__ == "__main__":
    main()
