#!/usr/bin/env python3
"""Side-by-side throughput: Clara.Engine against PyTorch eager on the same workloads, same thread count.

PyTorch runs the oracle's plain HF-style Mistral (tests/oracle/decoder.py: eager attention, fp32,
PEFT-style LoRA) on random fp32 weights of the same shapes as the engine's named configs. The engine
runs through the bench program's `workload` mode, which prints JSON. Both sides do, per model:

  * compression: 8 documents x 275 positions (CLaRa's 256-token documents at rate 16) in one
    forward, final-norm hidden states out, encoder-style LoRA adapter (r = 16) applied;
  * decode: batch 1, a 16-token prompt, then 64 KV-cached greedy steps (logits + argmax each step),
    generator-style LoRA adapter applied.

It also measures the ceilings once: a 2048^3 fp32 matmul (PyTorch/BLAS and the engine) and memory
copy GB/s. Rounds alternate engine and PyTorch so background load hits both; the best time of
each side is kept. Ratios are ours / theirs (> 1: the engine is faster).

Run with the system Python (the one with torch): bench/side-by-side.sh does the build and the call.
"""

from __future__ import annotations

import argparse
import json
import math
import platform
import subprocess
import sys
import time
from pathlib import Path
from typing import Callable, Dict, List

import torch
import torch.nn.functional as F

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests" / "oracle"))
from decoder import DecoderConfig, DecoderModel, KvCache, LoraAdapter  # noqa: E402

# The engine's RandomWeights.NamedConfig shapes (Mistral: theta 1e6, eps 1e-5, vocab 32000, untied).
CONFIGS: Dict[str, dict] = {
    "tiny": dict(hidden_size=256, num_hidden_layers=4, num_attention_heads=8, num_key_value_heads=2,
                 head_dim=32, intermediate_size=704),
    "small-125m": dict(hidden_size=768, num_hidden_layers=12, num_attention_heads=12, num_key_value_heads=4,
                       head_dim=64, intermediate_size=2048),
}
VOCAB = 32000
LORA_RANK = 16
TARGETS = ("q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj")


def decoder_config(name: str) -> DecoderConfig:
    c = CONFIGS[name]
    return DecoderConfig(model_type="mistral", rms_norm_eps=1e-5, rope_theta=1e6, vocab_size=VOCAB,
                         tie_word_embeddings=False, **c)


def parameter_count(cfg: DecoderConfig) -> int:
    q = cfg.num_attention_heads * cfg.head_dim
    kv = cfg.num_key_value_heads * cfg.head_dim
    h = cfg.hidden_size
    per_layer = 2 * h + 2 * h * q + 2 * h * kv + 3 * h * cfg.intermediate_size
    return 2 * VOCAB * h + h + cfg.num_hidden_layers * per_layer


def module_dims(cfg: DecoderConfig) -> Dict[str, tuple]:
    h, q = cfg.hidden_size, cfg.num_attention_heads * cfg.head_dim
    kv, i = cfg.num_key_value_heads * cfg.head_dim, cfg.intermediate_size
    return {"self_attn.q_proj": (q, h), "self_attn.k_proj": (kv, h), "self_attn.v_proj": (kv, h),
            "self_attn.o_proj": (h, q), "mlp.gate_proj": (i, h), "mlp.up_proj": (i, h), "mlp.down_proj": (h, i)}


def random_model(cfg: DecoderConfig, seed: int) -> DecoderModel:
    g = torch.Generator().manual_seed(seed)
    std = 0.02
    w = {"model.embed_tokens.weight": torch.randn(VOCAB, cfg.hidden_size, generator=g) * std,
         "lm_head.weight": torch.randn(VOCAB, cfg.hidden_size, generator=g) * std,
         "model.norm.weight": torch.ones(cfg.hidden_size)}
    for layer in range(cfg.num_hidden_layers):
        p = f"model.layers.{layer}."
        w[p + "input_layernorm.weight"] = torch.ones(cfg.hidden_size)
        w[p + "post_attention_layernorm.weight"] = torch.ones(cfg.hidden_size)
        for module, shape in module_dims(cfg).items():
            w[p + module + ".weight"] = torch.randn(*shape, generator=g) * std
    return DecoderModel(cfg, w)


def random_adapter(cfg: DecoderConfig, seed: int) -> LoraAdapter:
    g = torch.Generator().manual_seed(seed)
    pairs = {}
    for layer in range(cfg.num_hidden_layers):
        for module, (out_dim, in_dim) in module_dims(cfg).items():
            pairs[f"model.layers.{layer}.{module}"] = (torch.randn(LORA_RANK, in_dim, generator=g) * 0.02,
                                                       torch.randn(out_dim, LORA_RANK, generator=g) * 0.02)
    return LoraAdapter({"r": LORA_RANK, "lora_alpha": 2 * LORA_RANK, "target_modules": list(TARGETS)}, pairs)


def best_seconds(fn: Callable[[], None], repeat: int) -> float:
    fn()  # warm-up
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


# ------------------------------------------------------------------------------------------------
# PyTorch side
# ------------------------------------------------------------------------------------------------

def torch_compress(model: DecoderModel, adapter: LoraAdapter, docs: int, length: int) -> Callable[[], None]:
    g = torch.Generator().manual_seed(7)
    ids = torch.randint(3, VOCAB - 20, (docs, length), generator=g)
    positions = torch.arange(length).expand(docs, length)
    mask = torch.ones(docs, length, dtype=torch.long)

    def run() -> None:
        with torch.no_grad():
            model.forward(model.embed(ids), positions, mask, adapter)
    return run


def torch_decode(model: DecoderModel, adapter: LoraAdapter, prompt: int, steps: int) -> Callable[[], None]:
    """HF-generate-style greedy loop: the prompt is prefilled (not timed), each step is timed as a whole."""
    g = torch.Generator().manual_seed(11)
    prompt_ids = torch.randint(3, VOCAB, (1, prompt), generator=g)
    layers = model.config.num_hidden_layers

    def prefill():
        cache = KvCache(layers)
        with torch.no_grad():
            hidden = model.forward(model.embed(prompt_ids), torch.arange(prompt)[None], torch.ones(1, prompt, dtype=torch.long),
                                   adapter, cache)
            token = model.logits(hidden[:, -1]).argmax(-1)
        return cache, token

    state = {}

    def run() -> None:
        cache, token = state["cache"], state["token"]
        with torch.no_grad():
            for step in range(steps):
                past = prompt + step
                hidden = model.forward(model.embed(token[:, None]), torch.tensor([[past]]),
                                       torch.ones(1, past + 1, dtype=torch.long), adapter, cache)
                token = model.logits(hidden[:, -1]).argmax(-1)

    def timed() -> float:
        state["cache"], state["token"] = prefill()
        start = time.perf_counter()
        run()
        return time.perf_counter() - start
    return timed


def torch_matmul_gflops(size: int, repeat: int) -> float:
    a, b = torch.randn(size, size), torch.randn(size, size)
    return 2 * size ** 3 / best_seconds(lambda: torch.mm(a, b), repeat) / 1e9


def torch_copy_gbps(repeat: int) -> float:
    src = torch.ones(128 << 20)  # 512 MiB
    dst = torch.empty_like(src)
    return 2 * src.numel() * 4 / best_seconds(lambda: dst.copy_(src), repeat) / 1e9


# ------------------------------------------------------------------------------------------------
# Engine side
# ------------------------------------------------------------------------------------------------

def engine(command: List[str], args: List[str]) -> dict:
    result = subprocess.run(command + args, capture_output=True, text=True)
    if result.returncode != 0:
        raise RuntimeError(f"engine command failed ({result.returncode}): {' '.join(command + args)}\n{result.stderr}")
    return json.loads(result.stdout)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--engine", default=None,
                        help="command that runs the bench program (default: dotnet <Release build dll>)")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--models", default="tiny,small-125m")
    parser.add_argument("--repeat", type=int, default=3, help="timed runs per side per round")
    parser.add_argument("--rounds", type=int, default=2, help="alternating engine/PyTorch rounds; best kept")
    parser.add_argument("--compress", default="8x275")
    parser.add_argument("--decode-steps", type=int, default=64)
    parser.add_argument("--prompt", type=int, default=16)
    parser.add_argument("--json", type=Path, default=None, help="also write every figure to this file")
    args = parser.parse_args()

    command = args.engine.split() if args.engine else \
        ["dotnet", str(REPO / "bench/Clara.Engine.Bench/bin/Release/net10.0/Clara.Engine.Bench.dll")]
    torch.set_num_threads(args.threads)
    docs, length = (int(v) for v in args.compress.split("x"))

    report: Dict[str, object] = {
        "date": time.strftime("%Y-%m-%d %H:%M"), "machine": platform.processor() or platform.machine(),
        "threads": args.threads, "torch": torch.__version__,
        "torch_blas": next((part.split("=")[1] for part in torch.__config__.show().replace(",", "\n").split("\n")
                            if "BLAS_INFO" in part), "unknown"),
    }
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, BLAS_INFO={report['torch_blas']}")

    # Ceilings
    torch_mm = max(torch_matmul_gflops(2048, args.repeat) for _ in range(args.rounds))
    if torch_mm < 20:
        print(f"WARNING: torch 2048^3 matmul runs at {torch_mm:.1f} GFLOP/s: the reference BLAS, not OpenBLAS, "
              "is probably in use (update-alternatives --config libblas.so.3-x86_64-linux-gnu)")
    peaks = engine(command, ["peaks", "--threads", str(args.threads), "--matmul", "2048"])
    torch_copy = max(torch_copy_gbps(args.repeat) for _ in range(args.rounds))
    report["ceilings"] = {
        "fma_gflops": peaks["fma_gflops"], "read_gbps": peaks["read_gbps"], "copy_gbps_engine": peaks["copy_gbps"],
        "copy_gbps_torch": torch_copy, "matmul2048_gflops_torch": torch_mm,
        "matmul2048_gflops_engine": peaks["matmul"]["gflops"],
    }
    print(f"\nceilings: FMA peak {peaks['fma_gflops']:.0f} GFLOP/s, DRAM read {peaks['read_gbps']:.1f} GB/s, "
          f"copy {peaks['copy_gbps']:.1f} GB/s (engine) / {torch_copy:.1f} GB/s (torch)")
    print(f"2048^3 fp32 matmul: engine {peaks['matmul']['gflops']:.1f} GFLOP/s, torch {torch_mm:.1f} GFLOP/s, "
          f"ratio {peaks['matmul']['gflops'] / torch_mm:.2f}")

    rows = []
    for name in args.models.split(","):
        cfg = decoder_config(name)
        model, enc, dec = random_model(cfg, 1), random_adapter(cfg, 2), random_adapter(cfg, 3)
        ours = {"compress": 0.0, "decode": 0.0}
        theirs = {"compress": math.inf, "decode": math.inf}
        engine_json = {}
        for _ in range(args.rounds):
            engine_json = engine(command, ["workload", "--model", name, "--dtype", "f32", "--threads", str(args.threads),
                                           "--lora", str(LORA_RANK), "--repeat", str(args.repeat),
                                           "--compress", args.compress, "--decode", f"1x{args.decode_steps}",
                                           "--prompt", str(args.prompt)])
            if engine_json["parameters"] != parameter_count(cfg):
                raise RuntimeError(f"{name}: engine has {engine_json['parameters']} parameters, PyTorch {parameter_count(cfg)}")
            ours["compress"] = max(ours["compress"], engine_json["compress"]["tokens_per_s"])
            ours["decode"] = max(ours["decode"], engine_json["decode"]["tokens_per_s"])
            theirs["compress"] = min(theirs["compress"], best_seconds(torch_compress(model, enc, docs, length), args.repeat))
            decode = torch_decode(model, dec, args.prompt, args.decode_steps)
            decode()
            theirs["decode"] = min(theirs["decode"], min(decode() for _ in range(args.repeat)))
        torch_compress_tps = docs * length / theirs["compress"]
        torch_decode_tps = args.decode_steps / theirs["decode"]
        roof_tps = peaks["read_gbps"] * 1e9 / engine_json["decode_weight_bytes"]
        row = {
            "model": name, "parameters": parameter_count(cfg),
            "compress_tokens_per_s": {"engine": ours["compress"], "torch": torch_compress_tps,
                                      "ratio": ours["compress"] / torch_compress_tps},
            "decode_tokens_per_s": {"engine": ours["decode"], "torch": torch_decode_tps,
                                    "ratio": ours["decode"] / torch_decode_tps,
                                    "weight_read_roof": roof_tps, "engine_percent_of_roof": 100 * ours["decode"] / roof_tps},
        }
        rows.append(row)
        del model, enc, dec

    report["models"] = rows
    print(f"\n{'model':<12} {'workload':<26} {'engine tok/s':>13} {'torch tok/s':>12} {'ours/theirs':>12}")
    for row in rows:
        c, d = row["compress_tokens_per_s"], row["decode_tokens_per_s"]
        print(f"{row['model']:<12} {'compress ' + args.compress:<26} {c['engine']:>13.1f} {c['torch']:>12.1f} {c['ratio']:>12.2f}")
        print(f"{row['model']:<12} {f'decode b1 {args.prompt}+{args.decode_steps}':<26} {d['engine']:>13.1f} {d['torch']:>12.1f} "
              f"{d['ratio']:>12.2f}   ({d['engine_percent_of_roof']:.0f}% of the {d['weight_read_roof']:.0f} tok/s weight-read roof)")
    if args.json:
        args.json.write_text(json.dumps(report, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
