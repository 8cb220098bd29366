#!/usr/bin/env python3
"""The PyTorch / Hugging Face peer of the engine's GPU workloads, on the same machine (tools/gpu-check.sh's torch step).

The same shapes as `Clara.Engine.Bench workload` (RandomWeights' named configs; Mistral: theta 1e6, vocab 32000),
random weights made on the device, LoRA r = 16 on all seven projections when PEFT is there (as the engine's workload):

  * compression: 8 documents x 275 positions in one forward (hidden states out), tokens/s;
  * decode: a 16-token prompt, then N greedy steps at batch 1 and 16 (KV cache), tokens/s (batch x steps / time);

each in eager mode and, with --compile, the compression after torch.compile (its compile time reported apart; decode
too with --compile-decode, which recompiles as the cache grows). Events are not needed:
every timed region ends with torch.cuda.synchronize(). Prints one line per figure and writes JSON with --json.

  python3 bench/gpu_peer.py --model mistral-7b --device cuda --dtype bf16 --compile --json torch.json
"""

from __future__ import annotations

import argparse
import json
import sys
import time

CONFIGS = {
    "tiny": dict(hidden_size=256, num_hidden_layers=4, num_attention_heads=8, num_key_value_heads=2, head_dim=32, intermediate_size=704),
    "small-125m": dict(hidden_size=768, num_hidden_layers=12, num_attention_heads=12, num_key_value_heads=4, head_dim=64,
                       intermediate_size=2048),
    "mistral-7b": dict(hidden_size=4096, num_hidden_layers=32, num_attention_heads=32, num_key_value_heads=8, head_dim=128,
                       intermediate_size=14336),
}
TARGETS = ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"]


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--model", default="mistral-7b", choices=sorted(CONFIGS))
    p.add_argument("--device", default="cuda")
    p.add_argument("--dtype", default="bf16", choices=["bf16", "f32"])
    p.add_argument("--compress", default="8x275")
    p.add_argument("--decode-steps", type=int, default=32)
    p.add_argument("--batches", default="1,16")
    p.add_argument("--prompt", type=int, default=16)
    p.add_argument("--repeat", type=int, default=3)
    p.add_argument("--lora", type=int, default=16, help="LoRA rank through PEFT (0: none)")
    p.add_argument("--compile", action="store_true", help="also time the compression after torch.compile")
    p.add_argument("--compile-decode", action="store_true",
                   help="with --compile, decode too (HF's growing cache recompiles step after step: on an H200 it ran "
                        "past 270 s, so it is off unless asked for)")
    p.add_argument("--json", default=None)
    a = p.parse_args()

    import torch
    from transformers import MistralConfig, MistralForCausalLM

    device = torch.device(a.device)
    dtype = torch.bfloat16 if a.dtype == "bf16" else torch.float32
    cuda = device.type == "cuda"

    def sync() -> None:
        if cuda:
            torch.cuda.synchronize(device)

    def best(fn, repeat: int) -> float:
        fn()
        sync()
        times = []
        for _ in range(repeat):
            t0 = time.perf_counter()
            fn()
            sync()
            times.append(time.perf_counter() - t0)
        return min(times)

    config = MistralConfig(vocab_size=32000, rope_theta=1e6, rms_norm_eps=1e-5, tie_word_embeddings=False,
                           max_position_embeddings=32768, **CONFIGS[a.model])
    t0 = time.perf_counter()
    torch.manual_seed(1)
    previous = torch.get_default_dtype()
    torch.set_default_dtype(dtype)
    with device:
        model = MistralForCausalLM(config)
    torch.set_default_dtype(previous)
    model.eval()
    lora = "none"
    if a.lora > 0:
        try:
            from peft import LoraConfig, get_peft_model
            model = get_peft_model(model, LoraConfig(r=a.lora, lora_alpha=2 * a.lora, target_modules=TARGETS))
            lora = f"r={a.lora} (PEFT, unmerged)"
        except ImportError:
            lora = "none (PEFT not installed)"
    sync()
    report = dict(model=a.model, device=str(device), dtype=a.dtype, torch=torch.__version__, lora=lora,
                  parameters=sum(p.numel() for p in model.parameters()), setup_s=time.perf_counter() - t0,
                  gpu=torch.cuda.get_device_name(device) if cuda else None, modes={})
    print(f"{a.model} on {report['gpu'] or device}, {a.dtype}, LoRA {lora}, torch {torch.__version__}, "
          f"set up in {report['setup_s']:.1f} s", flush=True)

    docs, length = (int(v) for v in a.compress.split("x"))
    generator = torch.Generator(device="cpu").manual_seed(7)
    doc_ids = torch.randint(3, 31980, (docs, length), generator=generator).to(device)
    batches = [int(b) for b in a.batches.split(",") if b]

    def run_mode(name: str, forward, with_decode: bool = True) -> dict:
        figures: dict = {}

        def compress() -> None:
            with torch.no_grad():
                forward(input_ids=doc_ids, use_cache=False)

        seconds = best(compress, a.repeat)
        figures["compress"] = dict(documents=docs, row_length=length, best_s=seconds, tokens_per_s=docs * length / seconds)
        print(f"  {name:<8} compress {docs}x{length}: {docs * length / seconds:10.0f} tokens/s", flush=True)
        for batch in batches if with_decode else []:
            prompt = torch.randint(3, 31980, (batch, a.prompt), generator=generator).to(device)

            def decode() -> None:
                with torch.no_grad():
                    out = forward(input_ids=prompt, use_cache=True)
                    cache, token = out.past_key_values, out.logits[:, -1].argmax(-1, keepdim=True)
                    sync()
                    decode.start = time.perf_counter()
                    for _ in range(a.decode_steps):
                        out = forward(input_ids=token, past_key_values=cache, use_cache=True)
                        cache, token = out.past_key_values, out.logits[:, -1].argmax(-1, keepdim=True)

            times = []
            decode()
            for _ in range(a.repeat):
                decode()
                sync()
                times.append(time.perf_counter() - decode.start)
            step = min(times)
            figures[f"decode_b{batch}"] = dict(batch=batch, prompt=a.prompt, steps=a.decode_steps, best_s=step,
                                               tokens_per_s=batch * a.decode_steps / step)
            print(f"  {name:<8} decode b{batch:<3} {a.prompt}+{a.decode_steps}: {batch * a.decode_steps / step:10.1f} tokens/s", flush=True)
        return figures

    def write() -> None:  # after each mode, so a step stopped by its time limit still leaves what it measured
        if a.json:
            with open(a.json, "w") as f:
                json.dump(report, f, indent=1)
                f.write("\n")

    report["modes"]["eager"] = run_mode("eager", model)
    write()
    if a.compile:
        t0 = time.perf_counter()
        compiled = torch.compile(model)
        try:
            figures = run_mode("compiled", compiled, with_decode=a.compile_decode)
            figures["compile_and_first_runs_s"] = time.perf_counter() - t0
            report["modes"]["compiled"] = figures
        except Exception as e:  # a compile failure is a finding, not a crash of the whole peer
            report["modes"]["compiled"] = dict(error=f"{type(e).__name__}: {e}"[:2000])
            print(f"  compiled: FAILED {type(e).__name__}: {e}"[:2000], flush=True)
        write()
    return 0


if __name__ == "__main__":
    sys.exit(main())
