#!/usr/bin/env python3
"""Side-by-side LoRA training step: Clara.Engine against PyTorch eager autograd, same shape, same adapters, same threads.

Both sides train a LoRA adapter on a random-weight Mistral-shaped decoder (the engine's named configs, fp32, base
weights frozen) with next-token cross-entropy over a batch of B rows of T token ids (every position but the first of
each row is a target), then clip the global gradient norm to 1 and take one AdamW step over the adapter:

  * adapter: rank r (16), alpha 2r, on every projection of every block (q, k, v, o, gate, up, down), PEFT layout
    y = x·Wᵀ + (alpha/r)·(x·Aᵀ)·Bᵀ;
  * PyTorch: the model below, written with plain torch modules the way HF transformers' eager Mistral is (RMSNorm in
    fp32, rotate_half RoPE, repeat_kv GQA, causal softmax attention materialising the T × T scores, SwiGLU MLP),
    LoRA by hand as PEFT does it, torch.optim.AdamW + clip_grad_norm_;
  * engine: the bench program's `train` mode (bench/Clara.Engine.Bench/Training/TrainingStepWorkload.cs): the library's
    training graph, Autodiff.Backward, AdamWOptimizer.

Each side runs in its own process (so each one's peak resident memory is its own: VmHWM / ru_maxrss), one warm-up
step and then --steps timed steps. Rounds alternate engine and PyTorch so that background load hits both; the best
step of each side over all rounds is kept, and the medians are reported too. The load average is recorded around
every run: on a shared machine it is part of the figure.

Run with the system Python (the one with torch): bench/train-side-by-side.sh does the build and the call.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Dict, List

REPO = Path(__file__).resolve().parent.parent

# The engine's RandomWeights.NamedConfig shapes (Mistral: theta 1e6, eps 1e-5, vocab 32000, untied).
CONFIGS: Dict[str, dict] = {
    "tiny": dict(hidden=256, layers=4, heads=8, kv_heads=2, head_dim=32, intermediate=704),
    "small-125m": dict(hidden=768, layers=12, heads=12, kv_heads=4, head_dim=64, intermediate=2048),
}
VOCAB = 32000
EPS = 1e-5
THETA = 1e6


def load_average() -> List[float]:
    return [round(v, 2) for v in os.getloadavg()]


def cpu_model() -> str:
    try:
        out = subprocess.run(["lscpu"], capture_output=True, text=True).stdout
        for line in out.splitlines():
            if line.startswith("Model name:"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return "unknown"


def proc_status(field: str) -> int:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field):
                return int(line.split()[1]) * 1024
    return -1


# ------------------------------------------------------------------------------------------------
# PyTorch side (runs in a worker process: python3 train_side_by_side.py --worker ...)
# ------------------------------------------------------------------------------------------------

def torch_worker(args: argparse.Namespace) -> int:
    import torch
    import torch.nn as nn
    import torch.nn.functional as F

    torch.set_num_threads(args.threads)
    c = CONFIGS[args.model]
    g = torch.Generator().manual_seed(1)
    std = 0.02

    def frozen(*shape: int) -> nn.Parameter:
        return nn.Parameter(torch.randn(*shape, generator=g) * std, requires_grad=False)

    class LoraLinear(nn.Module):
        """PEFT's LoRA Linear: frozen base weight, trainable A [r, in] and B [out, r], scale alpha / r."""

        def __init__(self, in_features: int, out_features: int):
            super().__init__()
            self.weight = frozen(out_features, in_features)
            self.lora_A = nn.Parameter(torch.randn(args.lora, in_features, generator=g) * std)
            self.lora_B = nn.Parameter(torch.randn(out_features, args.lora, generator=g) * std)
            self.scaling = (2 * args.lora) / args.lora

        def forward(self, x):
            return F.linear(x, self.weight) + F.linear(F.linear(x, self.lora_A), self.lora_B) * self.scaling

    class RMSNorm(nn.Module):
        def __init__(self, size: int):
            super().__init__()
            self.weight = nn.Parameter(torch.ones(size), requires_grad=False)

        def forward(self, x):
            variance = x.pow(2).mean(-1, keepdim=True)
            return self.weight * (x * torch.rsqrt(variance + EPS))

    def rotate_half(x):
        half = x.shape[-1] // 2
        return torch.cat((-x[..., half:], x[..., :half]), dim=-1)

    class Block(nn.Module):
        def __init__(self):
            super().__init__()
            h, q, kv, i = c["hidden"], c["heads"] * c["head_dim"], c["kv_heads"] * c["head_dim"], c["intermediate"]
            self.input_layernorm, self.post_attention_layernorm = RMSNorm(h), RMSNorm(h)
            self.q_proj, self.k_proj, self.v_proj, self.o_proj = LoraLinear(h, q), LoraLinear(h, kv), LoraLinear(h, kv), LoraLinear(q, h)
            self.gate_proj, self.up_proj, self.down_proj = LoraLinear(h, i), LoraLinear(h, i), LoraLinear(i, h)

        def forward(self, x, cos, sin, mask):
            b, t, _ = x.shape
            heads, kv_heads, d = c["heads"], c["kv_heads"], c["head_dim"]
            hs = self.input_layernorm(x)
            q = self.q_proj(hs).view(b, t, heads, d).transpose(1, 2)
            k = self.k_proj(hs).view(b, t, kv_heads, d).transpose(1, 2)
            v = self.v_proj(hs).view(b, t, kv_heads, d).transpose(1, 2)
            q = q * cos + rotate_half(q) * sin
            k = k * cos + rotate_half(k) * sin
            groups = heads // kv_heads
            k = k[:, :, None].expand(b, kv_heads, groups, t, d).reshape(b, heads, t, d)
            v = v[:, :, None].expand(b, kv_heads, groups, t, d).reshape(b, heads, t, d)
            scores = torch.matmul(q, k.transpose(2, 3)) / math.sqrt(d) + mask
            probs = F.softmax(scores, dim=-1, dtype=torch.float32)
            attn = torch.matmul(probs, v).transpose(1, 2).reshape(b, t, heads * d)
            x = x + self.o_proj(attn)
            hs = self.post_attention_layernorm(x)
            return x + self.down_proj(F.silu(self.gate_proj(hs)) * self.up_proj(hs))

    class Model(nn.Module):
        def __init__(self):
            super().__init__()
            self.embed_tokens = frozen(VOCAB, c["hidden"])
            self.layers = nn.ModuleList(Block() for _ in range(c["layers"]))
            self.norm = RMSNorm(c["hidden"])
            self.lm_head = frozen(VOCAB, c["hidden"])

        def forward(self, ids):
            b, t = ids.shape
            d = c["head_dim"]
            inv_freq = 1.0 / (THETA ** (torch.arange(0, d, 2, dtype=torch.float32) / d))
            freqs = torch.arange(t, dtype=torch.float32)[:, None] * inv_freq[None]
            emb = torch.cat((freqs, freqs), dim=-1)
            cos, sin = emb.cos()[None, None], emb.sin()[None, None]
            mask = torch.full((t, t), torch.finfo(torch.float32).min).triu(1)[None, None]
            x = F.embedding(ids, self.embed_tokens)
            for layer in self.layers:
                x = layer(x, cos, sin, mask)
            hidden = self.norm(x)
            # Logits of the positions that predict a token (as the engine computes them), then the mean CE.
            logits = F.linear(hidden[:, :-1], self.lm_head)
            return F.cross_entropy(logits.reshape(-1, VOCAB), ids[:, 1:].reshape(-1))

    setup = time.perf_counter()
    model = Model()
    trainable = [p for p in model.parameters() if p.requires_grad]
    optimizer = torch.optim.AdamW(trainable, lr=1e-4, weight_decay=0.01)
    ids = torch.randint(3, VOCAB, (args.batch, args.length), generator=g)
    setup = time.perf_counter() - setup
    rss_after_setup = proc_status("VmRSS:")

    def step() -> float:
        optimizer.zero_grad(set_to_none=True)
        loss = model(ids)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(trainable, 1.0)
        optimizer.step()
        return loss.item()

    losses = [step() for _ in range(args.warmup)]
    seconds, cpu_seconds = [], []
    for _ in range(args.steps):
        start, cpu = time.perf_counter(), time.process_time()
        losses.append(step())
        seconds.append(time.perf_counter() - start)
        cpu_seconds.append(time.process_time() - cpu)
    ordered = sorted(seconds)
    tokens = args.batch * args.length
    print(json.dumps({
        "model": args.model, "torch": torch.__version__, "threads": torch.get_num_threads(),
        "trainable_parameters": sum(p.numel() for p in trainable),
        "parameters": sum(p.numel() for p in model.parameters()),
        "batch": args.batch, "length": args.length, "lora_rank": args.lora, "tokens_per_step": tokens,
        "setup_s": setup, "step_s": seconds, "step_cpu_s": cpu_seconds, "best_s": ordered[0], "median_s": ordered[len(ordered) // 2],
        "tokens_per_s": tokens / ordered[0], "tokens_per_s_median": tokens / ordered[len(ordered) // 2],
        "loss": losses, "rss_after_setup_bytes": rss_after_setup,
        "peak_rss_bytes": max(proc_status("VmHWM:"), resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024),
    }))
    return 0


# ------------------------------------------------------------------------------------------------
# Driver
# ------------------------------------------------------------------------------------------------

def run_json(command: List[str], env: Dict[str, str] | None = None) -> dict:
    before = load_average()
    result = subprocess.run(command, capture_output=True, text=True, env=env)
    after = load_average()
    if result.returncode != 0:
        raise RuntimeError(f"command failed ({result.returncode}): {' '.join(command)}\n{result.stderr}")
    report = json.loads(result.stdout)
    report["load_before"], report["load_after"] = before, after
    return report


def summarise(runs: List[dict]) -> dict:
    steps = [s for r in runs for s in r["step_s"]]
    cpu = [s for r in runs for s in r.get("step_cpu_s", [])] or [math.nan]  # builds before CPU timing lack it
    tokens = runs[0]["tokens_per_step"]
    return {
        "best_s": min(steps), "median_s": statistics.median(steps),
        "best_cpu_s": min(cpu), "median_cpu_s": statistics.median(cpu),
        "tokens_per_s": tokens / min(steps), "tokens_per_s_median": tokens / statistics.median(steps),
        "peak_rss_bytes": max(r["peak_rss_bytes"] for r in runs),
        "rss_after_setup_bytes": max(r["rss_after_setup_bytes"] for r in runs),
        "trainable_parameters": runs[0]["trainable_parameters"],
        "first_loss": runs[0]["loss"][0], "runs": runs,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--engine", default=None, help="command that runs the bench program (default: dotnet <Release build dll>)")
    parser.add_argument("--model", default="small-125m", choices=sorted(CONFIGS))
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--batch", type=int, default=4)
    parser.add_argument("--length", type=int, default=512)
    parser.add_argument("--lora", type=int, default=16, help="LoRA rank (alpha = 2 · rank)")
    parser.add_argument("--warmup", type=int, default=1, help="untimed steps per run")
    parser.add_argument("--steps", type=int, default=3, help="timed steps per run")
    parser.add_argument("--rounds", type=int, default=2, help="alternating engine/PyTorch runs")
    parser.add_argument("--engine-args", default="", help="extra arguments for the engine's train mode")
    parser.add_argument("--engine-before", default=None,
                        help="command of an earlier build of the bench program: runs as a third side (before/after figures)")
    parser.add_argument("--checkpointed", action="store_true",
                        help="also run the engine with --checkpoint-activations as a side of its own (step time and peak memory)")
    parser.add_argument("--json", type=Path, default=None, help="also write every figure to this file")
    parser.add_argument("--worker", choices=["torch"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker == "torch":
        return torch_worker(args)

    engine = args.engine.split() if args.engine else \
        ["dotnet", str(REPO / "bench/Clara.Engine.Bench/bin/Release/net10.0/Clara.Engine.Bench.dll")]
    shape = ["--model", args.model, "--threads", str(args.threads), "--batch", str(args.batch), "--length", str(args.length),
             "--lora", str(args.lora), "--warmup", str(args.warmup), "--steps", str(args.steps)]
    env = dict(os.environ, OMP_NUM_THREADS=str(args.threads), MKL_NUM_THREADS=str(args.threads),
               OPENBLAS_NUM_THREADS=str(args.threads))

    report: Dict[str, object] = {
        "date": time.strftime("%Y-%m-%d %H:%M"), "cpu": cpu_model(), "logical_cpus": os.cpu_count(),
        "threads": args.threads, "model": args.model, "batch": args.batch, "length": args.length, "lora_rank": args.lora,
        "load_start": load_average(),
    }
    print(f"{report['date']}  {report['cpu']}, {os.cpu_count()} logical CPUs, {args.threads} threads per side, "
          f"load average {report['load_start']}")
    sides = ["engine", "torch"] + (["checkpointed"] if args.checkpointed else []) + (["before"] if args.engine_before else [])
    runs: Dict[str, List[dict]] = {side: [] for side in sides}
    for r in range(args.rounds):
        # Rotate which side goes first, so none always meets the same phase of the background load.
        order = sides[r % len(sides):] + sides[:r % len(sides)]
        for side in order:
            if side == "engine":
                run = run_json(engine + ["train"] + shape + args.engine_args.split(), env)
            elif side == "checkpointed":
                run = run_json(engine + ["train"] + shape + args.engine_args.split() + ["--checkpoint-activations"], env)
            elif side == "before":
                run = run_json(args.engine_before.split() + ["train"] + shape, env)
            else:
                run = run_json([sys.executable, str(Path(__file__).resolve()), "--worker", "torch"] + shape, env)
            runs[side].append(run)
            print(f"  round {r + 1} {side:<12}: steps {', '.join(f'{s:.2f}' for s in run['step_s'])} s "
                  f"(CPU {', '.join(f'{s:.2f}' for s in run.get('step_cpu_s', []))} s), "
                  f"{run['tokens_per_s']:.0f} tok/s best, peak RSS {run['peak_rss_bytes'] / 2**20:.0f} MiB, "
                  f"loss {run['loss'][0]:.4f} → {run['loss'][-1]:.4f}, load {run['load_before']} → {run['load_after']}")
    for side in sides:
        report[side] = summarise(runs[side])
    report["load_end"] = load_average()
    e, t = report["engine"], report["torch"]
    if e["trainable_parameters"] != t["trainable_parameters"]:
        raise RuntimeError(f"the adapters differ: engine {e['trainable_parameters']} trainable values, PyTorch {t['trainable_parameters']}")
    report["ratio_best"] = e["tokens_per_s"] / t["tokens_per_s"]
    report["ratio_median"] = e["tokens_per_s_median"] / t["tokens_per_s_median"]
    # Work per step in CPU seconds (both processes, all threads): the ratio least moved by other load.
    report["ratio_cpu"] = t["best_cpu_s"] / e["best_cpu_s"]

    mib = 2 ** 20
    print(f"\nLoRA training step, {args.model}, {args.batch}×{args.length}, r={args.lora}, {args.threads} threads, fp32")
    print(f"{'side':<12} {'best tok/s':>11} {'median tok/s':>13} {'CPU s/step':>11} {'peak RSS MiB':>13} {'RSS after setup':>16}")
    names = {"engine": "engine", "torch": "PyTorch", "checkpointed": "checkpointed", "before": "before"}
    for side in sides:
        s = report[side]
        print(f"{names[side]:<12} {s['tokens_per_s']:>11.1f} {s['tokens_per_s_median']:>13.1f} {s['best_cpu_s']:>11.2f} "
              f"{s['peak_rss_bytes'] / mib:>13.0f} {s['rss_after_setup_bytes'] / mib:>16.0f}")
    print(f"engine / PyTorch: {report['ratio_best']:.2f}× (best steps), {report['ratio_median']:.2f}× (medians), "
          f"{report['ratio_cpu']:.2f}× (CPU seconds per step); "
          f"load average {report['load_start']} at the start, {report['load_end']} at the end")
    if "checkpointed" in report:
        c = report["checkpointed"]
        print(f"checkpointed / engine: {c['tokens_per_s'] / e['tokens_per_s']:.2f}× throughput (best steps), "
              f"{e['best_cpu_s'] / c['best_cpu_s']:.2f}× (CPU seconds), peak RSS {c['peak_rss_bytes'] / e['peak_rss_bytes']:.2f}×; "
              f"checkpointed / PyTorch: {c['tokens_per_s'] / t['tokens_per_s']:.2f}×")
    if "before" in report:
        b = report["before"]
        print(f"engine now / before: {e['tokens_per_s'] / b['tokens_per_s']:.2f}× (best steps), "
              f"{b['best_cpu_s'] / e['best_cpu_s']:.2f}× (CPU seconds per step)")
    if args.json:
        args.json.write_text(json.dumps(report, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
