#!/usr/bin/python3
"""PyTorch reference for the training loop's optimizer half (Training/Optimization and the trainer's accumulation).

Writes tests/fixtures/train/optimizer.safetensors, read by tests/Clara.Engine.Tests/Training/OptimizerOracleTests.cs.

The problem is least squares with a linear layer: per row r, loss_r = sum_o ((W x_r + b)_o - y_ro)^2, and the loss of
an optimizer step is the mean over ALL rows of that step (the rows stand for target tokens: spec 6 defines CE over a
batch as the mean over all of its target tokens). Each step's rows arrive as micro-batches of different sizes; here
autograd differentiates the whole step's mean at once, so the engine's accumulation of micro-batch means (each
weighted by its share of the rows) is checked against an independent computation, not against its own formula.

Each step runs exactly: zero_grad, loss.backward(), clip_grad_norm_ (when max_norm > 0), AdamW.step(),
LambdaLR.step() with the warmup-cosine factor
    f(t) = t / max(1, W)                                          t < W
    f(t) = 0.5 * (1 + cos(pi * min(1, (t - W) / max(1, T - W))))  otherwise
Recorded per step: the micro-batches' row indices (-1 padded), the learning rate used, the step loss, the global
gradient norm before clipping, W and b after the update, and the AdamW moments after the update.

Run with the system Python (PyTorch 1.13):  /usr/bin/python3 tests/oracle/train_fixtures.py
Seeded and single-threaded: reruns write identical files.
"""
import math
import sys
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from make_kernel_fixtures import scalar, write_safetensors  # noqa: E402

OUT = Path(__file__).resolve().parent.parent / "fixtures" / "train"


def warmup_cosine(warmup: int, total: int):
    def factor(t: int) -> float:
        if t < warmup:
            return t / max(1, warmup)
        progress = min(1.0, (t - warmup) / max(1, total - warmup))
        return 0.5 * (1.0 + math.cos(math.pi * progress))
    return factor


def case(prefix: str, gen: torch.Generator, *, rows: int, d_in: int, d_out: int, steps: int, accumulate: int,
         sizes: tuple, lr: float, warmup: int, weight_decay: float, max_norm: float, y_scale: float) -> dict:
    x = torch.randn(rows, d_in, generator=gen)
    y = torch.randn(rows, d_out, generator=gen) * y_scale
    w0 = torch.randn(d_out, d_in, generator=gen) * 0.5
    b0 = torch.randn(d_out, generator=gen) * 0.1
    w = torch.nn.Parameter(w0.clone())
    b = torch.nn.Parameter(b0.clone())
    opt = torch.optim.AdamW([w, b], lr=lr, betas=(0.9, 0.999), eps=1e-8, weight_decay=weight_decay, foreach=False)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, warmup_cosine(warmup, steps))

    widest = max(sizes)
    plan = torch.full((steps, accumulate, widest), -1, dtype=torch.int32)
    lrs, losses, norms, ws, bs, mw, vw, mb, vb = [], [], [], [], [], [], [], [], []
    clipped = 0
    for t in range(steps):
        chosen = []
        for a in range(accumulate):
            size = sizes[int(torch.randint(0, len(sizes), (1,), generator=gen))]
            picked = torch.randint(0, rows, (size,), generator=gen)
            plan[t, a, :size] = picked.to(torch.int32)
            chosen.append(picked)
        every_row = torch.cat(chosen)
        lrs.append(opt.param_groups[0]["lr"])
        opt.zero_grad()
        residual = x[every_row] @ w.t() + b - y[every_row]
        loss = (residual ** 2).sum(dim=1).mean()
        loss.backward()
        if max_norm > 0:
            norm = torch.nn.utils.clip_grad_norm_([w, b], max_norm)
            clipped += int(norm.item() > max_norm)
        else:
            norm = torch.norm(torch.stack([torch.norm(w.grad), torch.norm(b.grad)]))
        opt.step()
        sched.step()
        losses.append(loss.item())
        norms.append(norm.item())
        ws.append(w.detach().clone())
        bs.append(b.detach().clone())
        mw.append(opt.state[w]["exp_avg"].clone())
        vw.append(opt.state[w]["exp_avg_sq"].clone())
        mb.append(opt.state[b]["exp_avg"].clone())
        vb.append(opt.state[b]["exp_avg_sq"].clone())
    print(f"{prefix}: norms {[round(n, 3) for n in norms]}, clipped {clipped}")
    if max_norm > 0:
        # The fixture must exercise both branches of the clip.
        assert 0 < clipped < steps, f"{prefix}: {clipped} of {steps} steps clipped; retune y_scale/max_norm"
    return {
        f"{prefix}.x": x, f"{prefix}.y": y, f"{prefix}.w0": w0, f"{prefix}.b0": b0,
        f"{prefix}.plan": plan,
        f"{prefix}.lr": scalar(lr), f"{prefix}.warmup": scalar(warmup, torch.int64), f"{prefix}.steps": scalar(steps, torch.int64),
        f"{prefix}.weight_decay": scalar(weight_decay), f"{prefix}.max_norm": scalar(max_norm),
        f"{prefix}.lrs": torch.tensor(lrs, dtype=torch.float64),
        f"{prefix}.losses": torch.tensor(losses, dtype=torch.float32),
        f"{prefix}.norms": torch.tensor(norms, dtype=torch.float32),
        f"{prefix}.w": torch.stack(ws), f"{prefix}.b": torch.stack(bs),
        f"{prefix}.exp_avg_w": torch.stack(mw), f"{prefix}.exp_avg_sq_w": torch.stack(vw),
        f"{prefix}.exp_avg_b": torch.stack(mb), f"{prefix}.exp_avg_sq_b": torch.stack(vb),
    }


def main() -> None:
    torch.set_num_threads(1)
    OUT.mkdir(parents=True, exist_ok=True)
    gen = torch.Generator().manual_seed(9)
    tensors = {}
    tensors.update(case("clipped", gen, rows=40, d_in=5, d_out=3, steps=12, accumulate=3, sizes=(1, 2, 5, 7),
                        lr=0.05, warmup=3, weight_decay=0.01, max_norm=6.0, y_scale=2.0))
    tensors.update(case("plain", gen, rows=30, d_in=4, d_out=2, steps=6, accumulate=1, sizes=(3, 4),
                        lr=0.02, warmup=0, weight_decay=0.0, max_norm=0.0, y_scale=1.0))
    write_safetensors(OUT / "optimizer.safetensors", tensors)


if __name__ == "__main__":
    main()
