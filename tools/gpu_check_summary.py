#!/usr/bin/env python3
"""Writes tools/gpu-check.sh's summary.json from its steps and logs, prints the closing table, and gives the exit code.

Standard library only. Exit 0 when no step failed or timed out and, on a GPU run, when none of the steps that judge
the CUDA paths (selftest, suites, oracle) was skipped: a GPU check cannot go green by not running.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

JUDGING = ("selftest", "suites", "oracle")
# Dense bf16 tensor-core peaks (FLOP/s) of the GPUs these checks are meant for, for the MFU figures.
BF16_PEAKS = {"H100": 989.4e12, "H200": 989.4e12, "A100": 312e12}


def read(path: Path) -> str:
    try:
        return path.read_text(errors="replace")
    except OSError:
        return ""


def steps(path: Path) -> list:
    rows = []
    for line in read(path).splitlines():
        name, status, code, seconds, note = (line.split("\t") + [""] * 5)[:5]
        rows.append(dict(name=name, status=status, exit=int(code) if code.strip() else None, seconds=int(seconds or 0), note=note))
    return rows


def machine(log: str) -> dict:
    info: dict = {}
    lines = log.splitlines()
    for i, line in enumerate(lines):
        if line.startswith("name, driver_version") and i + 1 < len(lines):
            values = [v.strip() for v in lines[i + 1].split(",")]
            info.update(dict(zip(["gpu", "driver", "memory", "sm_clock_max", "memory_clock_max", "compute_capability"], values)))
        if line.startswith("host: "):
            info["host"] = line[6:]
        if line.startswith("nvidia-smi: not found"):
            info["gpu"] = None
    return info


def selftest(log: str) -> dict:
    result: dict = {}
    m = re.search(r"^NVRTC (\S+) \(([^)]*)\)", log, re.M)
    if m:
        result["nvrtc"] = dict(version=m.group(1), library=m.group(2))
    m = re.search(r"^cuBLAS (\d+) \(([^)]*)\)", log, re.M)
    if m:
        result["cublas"] = dict(version=int(m.group(1)), library=m.group(2))
    m = re.search(r"^device: (.*)$", log, re.M)
    if m:
        result["device"] = m.group(1)
    baseline = []
    for m in re.finditer(r"^  (\S.{27}) (.{52}) +([\d.]+) ms +([\d.]+) (TFLOP/s|GB/s)", log, re.M):
        baseline.append(dict(name=m.group(1).strip(), shape=m.group(2).strip(), ms=float(m.group(3)),
                             rate=float(m.group(4)), unit=m.group(5)))
    if baseline:
        result["baseline"] = baseline
    counts = re.findall(r"^(\d+) passed, (\d+) failed$", log, re.M)
    if counts:
        result["passed"], result["failed"] = int(counts[-1][0]), int(counts[-1][1])
    result["failures"] = [line for line in log.splitlines() if re.search(r"\bFAIL\b|\bERROR:", line)][:50]
    return result


def trx(path: Path) -> dict:
    if not path.exists():
        return {}
    try:
        root = ET.parse(path).getroot()
    except ET.ParseError as e:
        return dict(problem=f"unreadable TRX: {e}")
    ns = {"t": root.tag.split("}")[0].strip("{")} if root.tag.startswith("{") else {}
    prefix = "t:" if ns else ""
    counters = root.find(f".//{prefix}Counters", ns)
    result = {k: int(v) for k, v in (counters.attrib.items() if counters is not None else []) if v.isdigit()}
    failed, skipped = [], []
    for r in root.iterfind(f".//{prefix}UnitTestResult", ns):
        outcome = r.get("outcome", "")
        if outcome == "Failed":
            message = r.find(f".//{prefix}Message", ns)
            failed.append(dict(test=r.get("testName"), message=(message.text or "")[:600] if message is not None else ""))
        elif outcome in ("NotExecuted", "Inconclusive", "Skipped"):
            skipped.append(r.get("testName"))
    result["failed_tests"] = failed[:100]
    result["skipped_tests"] = skipped[:100]
    return result


def load_json(path: Path):
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return None


def bench(work: Path, baseline: list, gpu: str) -> dict:
    data = load_json(work / "bench.json")
    if not data:
        return {}
    result = dict(data)
    tensor_rate = next((b["rate"] for b in baseline if b["name"].startswith("matmul bf16")), None)
    peak = next((v for k, v in BF16_PEAKS.items() if gpu and k in gpu), None)
    if "compress" in data and data.get("parameters"):
        # Model FLOPs of a forward: 2 per parameter per token (attention's own products left out).
        flops = 2.0 * data["parameters"] * data["compress"]["tokens_per_s"]
        result["compress_tflops"] = flops / 1e12
        if peak:
            result["compress_mfu_of_peak"] = flops / peak
        if tensor_rate:
            result["compress_share_of_measured_bf16_matmul"] = flops / (tensor_rate * 1e12)
    return result


def main() -> int:
    p = argparse.ArgumentParser()
    p.add_argument("--steps", required=True, type=Path)
    p.add_argument("--out", required=True, type=Path)
    p.add_argument("--work", required=True, type=Path)
    p.add_argument("--device", required=True)
    p.add_argument("--dry", required=True)
    p.add_argument("--budget", required=True, type=int)
    p.add_argument("--seconds", required=True, type=int)
    p.add_argument("--asked", default=",".join(("environment",) + JUDGING), help="the steps this call was asked to run")
    a = p.parse_args()
    dry = a.dry == "1"

    rows = steps(a.steps)
    info = machine(read(a.out / "gpu-check.log"))
    results: dict = {}
    st = selftest(read(a.out / "selftest.log"))
    if st:
        results["selftest"] = st
    suites = trx(a.out / "suites.trx")
    if suites:
        results["suites"] = suites
    oracle = load_json(a.work / "oracle.json")
    if oracle:
        results["oracle"] = oracle
    b = bench(a.work, st.get("baseline", []), info.get("gpu") or "")
    if b:
        results["bench"] = b
    torch = load_json(a.work / "torch.json")
    if torch:
        results["torch"] = torch

    problems = [f"{r['name']}: {r['status']} (exit {r['exit']})" for r in rows if r["status"] in ("failed", "timeout")]
    if not dry:
        asked = set(a.asked.split(","))
        problems += [f"{r['name']}: skipped ({r['note']})" for r in rows
                     if r["name"] in JUDGING and r["name"] in asked and r["status"] == "skipped"]
        if suites and suites.get("total", 0) and suites.get("total") != suites.get("executed"):
            problems.append(f"suites: {suites['total'] - suites.get('executed', 0)} tests not executed")
    summary = dict(mode="dry" if dry else "gpu", device=a.device, steps_asked=a.asked.split(","), budget_s=a.budget, seconds=a.seconds, machine=info,
                   steps=rows, skipped=[dict(step=r["name"], why=r["note"]) for r in rows if r["status"] == "skipped"],
                   problems=problems, ok=not problems, results=results)
    (a.out / "summary.json").write_text(json.dumps(summary, indent=1) + "\n")

    print(f"{'step':<12} {'status':<8} {'exit':>4} {'seconds':>7}  note")
    for r in rows:
        print(f"{r['name']:<12} {r['status']:<8} {'' if r['exit'] is None else r['exit']:>4} {r['seconds']:>7}  {r['note']}")
    if st.get("passed") is not None:
        print(f"selftest: {st['passed']} passed, {st['failed']} failed")
    if suites.get("total") is not None:
        print(f"suites: {suites.get('passed', 0)} passed, {suites.get('failed', 0)} failed, "
              f"{suites.get('total', 0) - suites.get('executed', 0)} not executed, of {suites['total']}")
    if oracle:
        print(f"oracle: {oracle['passed']} passed, {oracle['failed']} failed")
    for problem in problems:
        print(f"PROBLEM: {problem}")
    print("gpu-check: " + ("passed" if not problems else "FAILED"))
    return 0 if not problems else 1


if __name__ == "__main__":
    sys.exit(main())
