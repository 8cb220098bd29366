#!/usr/bin/env python3
"""Side by side with llama.cpp: the engine's `workload` and llama.cpp (`llama` mode, LLamaSharp in-process) on the
same random weights (the bench's seed, no LoRA), written as GGUF by the bench's `gguf` mode.
The engine loads them the way a user's process does (`--weights-dir`: written once as a model directory, then
memory-mapped by each run), so its peak RSS is the weights it touches + KV cache + the runtime, like llama.cpp's.

Per dtype and round, each side runs in its own process (so each reports its own peak RSS), the order alternating
from round to round so background load hits both; the best tokens/s of each side is kept. Workloads: prefill of one
275-token prompt, and greedy decode at batch 1 and batch 16 (16-token prompts, untimed, then 64 steps; at batch 16
the 16 sequences are one batch per step on both sides, distinct sequence ids in llama.cpp). Both sides print every
sequence's greedy tokens; the script reports how many agree (the common prefix, summed over sequences). Roof = DRAM read GB/s (`peaks`, measured in the same run) ÷ the
weight bytes one decode step streams. Ratios are engine ÷ llama.cpp (> 1: the engine is faster).

Usage: bench/llama-side-by-side.sh [--model small-125m] [--dtypes f32,bf16,f16] [--threads 2] [--rounds 3]
       [--work DIR] [--json FILE]
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
BENCH = REPO / "bench" / "Clara.Engine.Bench" / "bin" / "Release" / "net10.0" / "Clara.Engine.Bench.dll"


def bench(*args: str, output: bool = True) -> dict:
    done = subprocess.run(["dotnet", str(BENCH), *args], capture_output=True, text=True)
    if done.returncode != 0:
        sys.exit(f"bench {' '.join(args)} failed ({done.returncode}):\n{done.stderr[-4000:]}")
    return json.loads(done.stdout) if output else {}


def agreement(a: list, b: list) -> int:
    n = 0
    for x, y in zip(a, b):
        if x != y:
            break
        n += 1
    return n


def agreement_all(a: list, b: list) -> tuple[int, int]:
    """Greedy tokens equal (common prefix per sequence, summed) and the total, over every sequence."""
    return sum(agreement(x, y) for x, y in zip(a, b)), sum(len(x) for x in a)


def decodes(out: dict, spec: str) -> dict:
    """The decode objects of one run by batch: "decode" when one was asked for, "decode_b<batch>" otherwise."""
    batches = [int(part.split("x")[0]) for part in spec.split(",")]
    if len(batches) == 1:
        return {batches[0]: out["decode"]}
    return {b: out[f"decode_b{b}"] for b in batches}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", default="small-125m")
    ap.add_argument("--dtypes", default="f32,bf16,f16")
    ap.add_argument("--threads", default="2")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--repeat", default="3")
    ap.add_argument("--prefill", default="275")
    ap.add_argument("--decode", default="1x64,16x64")
    ap.add_argument("--prompt", default="16")
    ap.add_argument("--work", default="/tmp/clara-llama-peer")
    ap.add_argument("--json")
    a = ap.parse_args()
    work = Path(a.work)
    work.mkdir(parents=True, exist_ok=True)
    dtypes = a.dtypes.split(",")
    ggufs = {}
    for d in dtypes:
        ggufs[d] = work / f"{a.model}-{d}.gguf"
        if not ggufs[d].exists():
            bench("gguf", "--model", a.model, "--dtype", d, "--out", str(ggufs[d]), output=False)  # writes a file, prints no JSON
    common = ["--threads", a.threads, "--repeat", a.repeat, "--prefill", a.prefill, "--decode", a.decode, "--prompt", a.prompt]
    weight_dirs = {}
    for d in dtypes:
        weight_dirs[d] = work / f"{a.model}-{d}-weights"
        if not (weight_dirs[d] / "model.safetensors").exists():
            bench("weights", "--model", a.model, "--dtype", d, "--out", str(weight_dirs[d]), output=False)
    runs = {d: {"engine": [], "llama": []} for d in dtypes}
    peaks = []
    for r in range(a.rounds):
        peaks.append(bench("peaks", "--threads", a.threads, "--repeat", "3"))
        for d in dtypes:
            sides = ["engine", "llama"] if r % 2 == 0 else ["llama", "engine"]
            for side in sides:
                if side == "engine":
                    out = bench("workload", "--model", a.model, "--dtype", d, "--lora", "0", "--weights-dir", str(weight_dirs[d]), *common)
                else:
                    out = bench("llama", "--gguf", str(ggufs[d]), *common)
                runs[d][side].append(out)
                rates = ", ".join(f"decode b{b} {o['tokens_per_s']:.1f}" for b, o in decodes(out, a.decode).items())
                print(f"round {r + 1} {d} {side}: prefill {out['prefill']['tokens_per_s']:.1f} tok/s, {rates} tok/s, "
                      f"peak RSS {out['peak_rss_mb']:.0f} MB, load average {os.getloadavg()[0]:.1f}", file=sys.stderr)
    read_gbps = max(p["read_gbps"] for p in peaks)
    fma = max(p["fma_gflops"] for p in peaks)
    report = {"model": a.model, "threads": int(a.threads), "rounds": a.rounds, "read_gbps": read_gbps, "fma_gflops": fma,
              "load_average_end": os.getloadavg(), "dtypes": {}}
    print(f"\nmachine peaks (best of {a.rounds}): DRAM read {read_gbps:.1f} GB/s, FMA {fma:.0f} GFLOP/s; "
          f"load average at the end {os.getloadavg()[0]:.1f} / {os.getloadavg()[1]:.1f} / {os.getloadavg()[2]:.1f}\n")
    print("| workload | weights | engine tok/s | llama.cpp tok/s | engine ÷ llama.cpp | engine % of roof | llama.cpp % of roof "
          "| peak RSS engine / llama.cpp (MB) | greedy tokens equal |")
    print("|---|---|---:|---:|---:|---:|---:|---|---|")
    for d in dtypes:
        e, l = runs[d]["engine"], runs[d]["llama"]
        weight_bytes = e[0]["decode_weight_bytes"]
        roof = read_gbps * 1e9 / weight_bytes
        best_prefill = lambda outs: max(o["prefill"]["tokens_per_s"] for o in outs)
        rss = lambda outs: max(o["peak_rss_mb"] for o in outs)
        entry = {
            "prefill": {"engine": best_prefill(e), "llama": best_prefill(l)},
            "roof_tokens_per_s": roof, "weight_bytes": weight_bytes,
            "peak_rss_mb": {"engine": rss(e), "llama": rss(l)}, "decode": {},
        }
        p = entry["prefill"]
        print(f"| prefill 1 × {a.prefill} | {d} | {p['engine']:.0f} | {p['llama']:.0f} | {p['engine'] / p['llama']:.2f} | | "
              f"| {entry['peak_rss_mb']['engine']:.0f} / {entry['peak_rss_mb']['llama']:.0f} | |")
        for batch, last_e in decodes(e[-1], a.decode).items():
            last_l = decodes(l[-1], a.decode)[batch]
            best = lambda outs: max(decodes(o, a.decode)[batch]["tokens_per_s"] for o in outs)
            equal, total = agreement_all(last_e["ids_by_sequence"], last_l["ids_by_sequence"])
            sequences_equal = sum(x == y for x, y in zip(last_e["ids_by_sequence"], last_l["ids_by_sequence"]))
            q = {"engine": best(e), "llama": best(l), "greedy_equal": equal, "greedy_total": total,
                 "sequences_equal": sequences_equal, "sequences": batch,
                 "ids_engine": last_e["ids_by_sequence"], "ids_llama": last_l["ids_by_sequence"]}
            entry["decode"][batch] = q
            # The roof is per step (all weights streamed once), so batch B's roof in tokens/s is B times batch 1's.
            step_roof = roof * batch
            print(f"| decode batch {batch} ({a.prompt} + {a.decode.split(',')[0].split('x')[1]}) | {d} | {q['engine']:.1f} | {q['llama']:.1f} | "
                  f"{q['engine'] / q['llama']:.2f} | {100 * q['engine'] / step_roof:.0f} % of {step_roof:.0f} | {100 * q['llama'] / step_roof:.0f} % | "
                  f"| {equal} of {total} ({sequences_equal} of {batch} sequences whole) |")
        report["dtypes"][d] = entry
    if a.json:
        Path(a.json).write_text(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
