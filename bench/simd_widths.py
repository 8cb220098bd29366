"""Engine before/after a change at each SIMD width the runtime can be held to, rounds alternating old and new.

    python3 bench/simd_widths.py --old "dotnet OLD/Clara.Engine.Bench.dll" --new "dotnet NEW/Clara.Engine.Bench.dll"
        [--rounds 3] [--threads 2] [--settings default,no-avx2]

Per setting and side: the 2048^3 fp32 matmul (`peaks`), prefill of 128 tokens and decode (1 x 16 after a 16-token
prompt) of small-125m F32 and BF16 (`workload --lora 0`); medians over the rounds and new/old ratios, as JSON and a
table. Settings are DOTNET_* variables (tools/simd-width-runs.sh uses the same ones for the tests).
"""
import argparse, json, os, shlex, statistics, subprocess

SETTINGS = {
    "default": {},
    "no-avx512": {"DOTNET_EnableAVX512F": "0"},
    "no-avx2": {"DOTNET_EnableAVX2": "0"},
    "no-simd": {"DOTNET_EnableHWIntrinsic": "0"},
}


def run(command, args, env):
    out = subprocess.run(shlex.split(command) + args, env=env, check=True, capture_output=True, text=True).stdout
    return json.loads(out[out.index("{"):])


def measure(command, env, threads):
    peaks = run(command, ["peaks", "--threads", str(threads)], env)
    figures = {"matmul_gflops": peaks["matmul"]["gflops_median"]}
    for dtype in ("f32", "bf16"):
        w = run(command, ["workload", "--model", "small-125m", "--dtype", dtype, "--threads", str(threads), "--lora", "0",
                          "--prefill", "128", "--decode", "1x16", "--repeat", "2"], env)
        figures[f"prefill_{dtype}_tps"] = w["prefill"]["tokens_per_s_median"]
        decode = w.get("decode") or w.get("decode_b1")
        figures[f"decode_{dtype}_tps"] = decode["tokens_per_s_median"]
    return figures


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--old", required=True)
    parser.add_argument("--new", required=True)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--settings", default="default,no-avx2")
    a = parser.parse_args()
    report = {}
    for setting in a.settings.split(","):
        env = dict(os.environ, **SETTINGS[setting])
        samples = {"old": [], "new": []}
        for _ in range(a.rounds):
            for side in ("old", "new"):
                samples[side].append(measure(getattr(a, side), env, a.threads))
        medians = {side: {k: statistics.median(s[k] for s in runs) for k in runs[0]} for side, runs in samples.items()}
        report[setting] = {"old": medians["old"], "new": medians["new"],
                           "ratio": {k: medians["new"][k] / medians["old"][k] for k in medians["new"]}}
        for k in medians["new"]:
            print(f"{setting:10} {k:18} old {medians['old'][k]:9.2f}  new {medians['new'][k]:9.2f}  x{report[setting]['ratio'][k]:.2f}", flush=True)
    print(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
