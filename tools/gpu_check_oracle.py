#!/usr/bin/env python3
"""The PyTorch oracle's committed expectations (tests/fixtures/reference, tests/fixtures/grad) through the `clara`
program on one device, a few training steps against the CPU's, and the default model's published evaluation.

Runs `clara logits / compress / rerank / ask` as a user runs them, with --device, on the fixture models and compares
what they write with the reference values, with the tolerances of tests/Clara.Engine.Tests/Cli/CliOracleTests.cs
(max |actual - expected| / max |expected|). Standard library only: the GPU machine's and CI's Pythons both run it.

  tools/gpu_check_oracle.py --clara publish/gpu-check/clara --device cuda --work /tmp/w --json oracle.json

Prints one line per comparison; exit 0 when every comparison passes, 1 otherwise.
"""

from __future__ import annotations

import argparse
import json
import os
import struct
import subprocess
import sys
import time
from array import array
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
FIXTURES = REPO / "tests" / "fixtures"


class Safetensors:
    """A safetensors file read with the standard library (F32, I32, I64 and BF16 tensors)."""

    def __init__(self, path: Path):
        data = path.read_bytes()
        (length,) = struct.unpack_from("<Q", data, 0)
        header = json.loads(data[8:8 + length])
        self.metadata = header.pop("__metadata__", {}) or {}
        self.entries = header
        self.body = memoryview(data)[8 + length:]

    def shape(self, name: str) -> list:
        return self.entries[name]["shape"]

    def values(self, name: str) -> list:
        entry = self.entries[name]
        begin, end = entry["data_offsets"]
        raw = bytes(self.body[begin:end])
        dtype = entry["dtype"]
        if dtype == "BF16":
            widened = array("I", (int.from_bytes(raw[i:i + 2], "little") << 16 for i in range(0, len(raw), 2)))
            return list(array("f", widened.tobytes()))
        code = {"F32": "f", "I32": "i", "I64": "q"}[dtype]
        values = array(code)
        values.frombytes(raw)
        if sys.byteorder != "little":
            values.byteswap()
        return list(values)


def max_relative_error(actual: list, expected: list) -> float:
    if len(actual) != len(expected):
        return float("inf")
    max_diff = max_ref = 0.0
    for a, e in zip(actual, expected):
        if a != a:
            return float("inf")
        max_diff = max(max_diff, abs(a - e))
        max_ref = max(max_ref, abs(e))
    return max_diff if max_ref == 0 else max_diff / max_ref


class Run:
    def __init__(self, clara: str, device: str, work: Path, threads):
        self.clara, self.device, self.work = clara, device, work
        self.threads = ["--threads", str(threads)] if threads else []
        self.results: list = []
        self.failed = False

    def clara_run(self, case: str, args: list) -> tuple:
        command = [self.clara, *args, "--device", self.device, *self.threads]
        started = time.monotonic()
        done = subprocess.run(command, capture_output=True, text=True)
        seconds = time.monotonic() - started
        if done.returncode != 0:
            self.record(case, "exit", float(done.returncode), 0, seconds, done.stderr.strip()[-400:])
        return done, seconds

    def record(self, case: str, what: str, error: float, tolerance: float, seconds: float, problem: str = "") -> None:
        passed = problem == "" and error <= tolerance
        self.failed |= not passed
        self.results.append(dict(case=case, what=what, error=error if error == error and error != float("inf") else None,
                                 tolerance=tolerance, seconds=round(seconds, 3), passed=passed, problem=problem))
        status = "pass" if passed else "FAIL"
        shown = f"{error:.2e}" if problem == "" else problem.replace("\n", " | ")
        print(f"  {case:<34} {what:<14} {shown:>10} (tolerance {tolerance:.0e}) {status}  {seconds:6.2f} s", flush=True)

    def compare(self, case: str, what: str, written: Safetensors, name: str, reference: Safetensors, ref_name: str,
                tolerance: float, seconds: float) -> None:
        self.record(case, what, max_relative_error(written.values(name), reference.values(ref_name)), tolerance, seconds)

    def exact(self, case: str, what: str, actual: list, expected: list, seconds: float) -> None:
        self.record(case, what, 0.0 if list(actual) == list(expected) else 1.0, 0, seconds,
                    "" if list(actual) == list(expected) else f"{list(actual)} != {list(expected)}")


def documents_file(reference: Safetensors, path: Path) -> Path:
    ids = reference.values("docs.ids")
    lengths = reference.values("docs.lengths")
    width = reference.shape("docs.ids")[1]
    with path.open("w") as f:
        for i, n in enumerate(lengths):
            f.write(json.dumps({"id": f"d{i}", "ids": ids[i * width:i * width + n]}) + "\n")
    return path


def ids(values: list) -> str:
    return ",".join(str(v) for v in values)


def logits(run: Run, model: str, adapter) -> None:
    reference = Safetensors(FIXTURES / "reference" / f"{model}.safetensors")
    out = run.work / f"logits-{model}-{adapter}.safetensors"
    args = ["logits", "--model", str(FIXTURES / "models" / model), "--tokens", ids(reference.values("tokens")), "--out", str(out)]
    if adapter:
        args += ["--adapter", adapter]
    case = f"logits {model}{' +' + adapter if adapter else ''}"
    done, seconds = run.clara_run(case, args)
    if done.returncode == 0:
        run.compare(case, "logits", Safetensors(out), "logits", reference, f"logits.{adapter}" if adapter else "logits", 1e-5, seconds)


def compress(run: Run, config: str) -> None:
    reference = Safetensors(FIXTURES / "reference" / f"{config}.safetensors")
    out = run.work / f"compress-{config}.safetensors"
    docs = documents_file(reference, run.work / f"docs-{config}.jsonl")
    case = f"compress {config}"
    done, seconds = run.clara_run(case, ["compress", "--model", str(FIXTURES / "clara" / config), "--docs", str(docs),
                                         "--out", str(out), "--batch", "2"])
    if done.returncode == 0:
        written = Safetensors(out)
        run.compare(case, "memory", written, "memory", reference, "memory", 1e-4, seconds)
        run.compare(case, "mse", written, "mse", reference, "mse", 1e-4, 0)


def rerank(run: Run, config: str) -> None:
    reference = Safetensors(FIXTURES / "reference" / f"{config}.safetensors")
    out = run.work / f"rerank-{config}.safetensors"
    docs = documents_file(reference, run.work / f"docs-{config}.jsonl")
    case = f"rerank {config}"
    done, seconds = run.clara_run(case, ["rerank", "--model", str(FIXTURES / "clara" / config), "--docs", str(docs),
                                         "--question-ids", ids(reference.values("question.ids")), "--out", str(out)])
    if done.returncode == 0:
        written = Safetensors(out)
        run.compare(case, "query", written, "query", reference, "query", 1e-4, seconds)
        run.compare(case, "scores", written, "scores", reference, "scores", 1e-4, 0)
        run.exact(case, "topk", written.values("topk"), reference.values("topk"), 0)


def ask(run: Run, config: str) -> None:
    reference = Safetensors(FIXTURES / "reference" / f"{config}.safetensors")
    docs = documents_file(reference, run.work / f"docs-{config}.jsonl")
    case = f"ask {config}"
    done, seconds = run.clara_run(case, ["ask", "--model", str(FIXTURES / "clara" / config), "--docs", str(docs),
                                         "--question-ids", ids(reference.values("question.ids")),
                                         "--prompt-ids", ids(reference.values("prompt.ids")), "--max-new-tokens", "8", "--json"])
    if done.returncode == 0:
        root = json.loads(done.stdout)
        run.exact(case, "answer_ids", root["answer_ids"], reference.values("answer.ids"), seconds)
        run.exact(case, "topk", root["topk"], reference.values("topk"), 0)
        run.record(case, "scores", max_relative_error(root["scores"], reference.values("scores")), 1e-4, 0)


def ask_text(run: Run) -> None:
    reference = Safetensors(FIXTURES / "reference" / "clara-text.safetensors")
    docs = run.work / "docs-clara-text.jsonl"
    with docs.open("w") as f:
        for i, text in enumerate(json.loads(reference.metadata["docs"])):
            f.write(json.dumps({"id": f"doc-{i}", "text": text}) + "\n")
    case = "ask clara-text (text)"
    done, seconds = run.clara_run(case, ["ask", "--model", str(FIXTURES / "clara" / "clara-text"), "--docs", str(docs),
                                         "--question", reference.metadata["question"], "--max-new-tokens", "12", "--json"])
    if done.returncode == 0:
        root = json.loads(done.stdout)
        run.exact(case, "answer_ids", root["answer_ids"], reference.values("answer.ids"), seconds)
        run.exact(case, "answer", [root["answer"]], [reference.metadata["answer"]], 0)


GRAD_STAGES = ("lm", "scp", "instruct", "e2e", "rank", "rank-joint")


def grad(run: Run, model: str, stage: str, tolerance: float) -> None:
    """`clara grad` (spec section 9) against PyTorch autograd's loss and every gradient (tests/oracle/grad_fixtures.py)."""
    base = FIXTURES / "grad" / model
    out = run.work / f"grad-{model}-{stage}.safetensors"
    source = FIXTURES / ("models" if model == "llama-gqa1" else "clara") / model
    args = ["grad", "--model", str(source), "--stage", "rank" if stage == "rank-joint" else stage,
            "--data", str(base / f"{stage}.jsonl"), "--out", str(out)]
    if stage == "rank-joint":
        args += ["--adapters", "query_reasoner_adapter,encoder_adapter"]
    case = f"grad {model} {stage}"
    done, seconds = run.clara_run(case, args)
    if done.returncode != 0:
        return
    written, reference = Safetensors(out), Safetensors(base / f"{stage}.safetensors")
    missing = sorted(set(reference.entries) ^ set(written.entries))
    if missing:
        run.record(case, "tensors", 1.0, 0, seconds, f"tensors differ: {missing[:3]}")
        return
    worst = max(max_relative_error(written.values(n), reference.values(n)) for n in reference.entries)
    run.record(case, f"{len(reference.entries)} tensors", worst, tolerance, seconds)


def train_steps(run: Run) -> None:
    """A few AdamW updates of `clara train scp` here and on the CPU: the same losses and the same trained adapter."""
    model = FIXTURES / "clara" / "clara-distinct"
    data = FIXTURES / "grad" / "clara-distinct" / "scp.jsonl"
    outputs = {}
    started = time.monotonic()
    for who, device in (("here", run.device), ("cpu", "cpu")):
        out = run.work / f"train-{who}"
        command = [run.clara, "train", "scp", "--model", str(model), "--data", str(data), "--out", str(out), "--steps",
                   "4", "--batch", "2", "--lr", "1e-3", "--save-every", "0", "--device", device, *run.threads]
        done = subprocess.run(command, capture_output=True, text=True)
        if done.returncode != 0:
            run.record(f"train scp ({who})", "exit", float(done.returncode), 0, time.monotonic() - started,
                       done.stderr.strip()[-400:])
            return
        outputs[who] = out
    seconds = time.monotonic() - started
    losses = [[json.loads(line)["loss"] for line in (outputs[w] / "metrics.jsonl").read_text().splitlines()
               if "loss" in json.loads(line)] for w in ("here", "cpu")]
    run.record("train scp 4 steps", "losses", max_relative_error(losses[0], losses[1]), 1e-4, seconds)
    adapter = Path("adapters") / "encoder_adapter" / "adapter_model.safetensors"
    trained, expected = Safetensors(outputs["here"] / adapter), Safetensors(outputs["cpu"] / adapter)
    worst = max(max_relative_error(trained.values(n), expected.values(n)) for n in expected.entries)
    run.record("train scp 4 steps", "adapter", worst, 1e-4, 0)


def default_model(run: Run, questions: int) -> None:
    """The published default model's evaluation (samples/default-model-recipe/eval/published.json, measured on the
    CPU) again on this device: the same rankings, scores within fp32 noise, the answers and the figures."""
    reference = json.loads((REPO / "samples" / "default-model-recipe" / "eval" / "published.json").read_text())
    questions = min(questions, len(reference["picks"]))
    case = f"eval default model {questions}q"
    done, seconds = run.clara_run(case, ["eval", "--model", str(REPO / "samples" / "default-model"), "--data",
                                         str(REPO / "samples" / "default-eval" / "test.jsonl"), "--k", "1", "--limit",
                                         str(questions), "--max-new-tokens", "16", "--json"])
    if done.returncode != 0:
        return
    root = json.loads(done.stdout)
    ours, theirs = root["picks"], reference["picks"][:questions]
    run.record(case, "scores", max(max_relative_error(a["scores"], b["scores"]) for a, b in zip(ours, theirs)), 1e-3,
               seconds)
    top = sum(a["topk"] != b["topk"] for a, b in zip(ours, theirs))
    run.record(case, "topk differ", float(top), 1, 0)
    answers = sum(a["answer"] != b["answer"] for a, b in zip(ours, theirs))
    run.record(case, "answers differ", float(answers), 2, 0)
    recall = sum(p["gold"] in p["topk"][:1] for p in theirs) / questions
    exact = sum(p["exact_match"] for p in theirs) / questions
    print(f"    recall@1 {root['recall_at_1']:.3f} (CPU {recall:.3f}), exact match {root['exact_match']:.3f} "
          f"(CPU {exact:.3f}) on the first {questions} questions", flush=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clara", required=True, help="the clara executable")
    parser.add_argument("--device", default="cuda", help="cpu, cuda or cuda:N")
    parser.add_argument("--work", required=True, help="a folder for the documents files and the outputs")
    parser.add_argument("--json", help="write the comparisons here")
    parser.add_argument("--threads", type=int, default=None, help="the CPU backend's threads (dry runs)")
    parser.add_argument("--grad-tolerance", type=float, default=1e-4,
                        help="clara grad against autograd (default 1e-4 on a GPU; the CPU tests hold 1e-5)")
    parser.add_argument("--questions", type=int, default=120, help="the default model's evaluation questions")
    a = parser.parse_args()
    work = Path(a.work)
    work.mkdir(parents=True, exist_ok=True)
    run = Run(a.clara, a.device, work, a.threads)
    print(f"oracle fixtures through {a.clara} --device {a.device}", flush=True)
    for model, adapter in [("mistral-gqa2-odd", None), ("mistral-gqa2-odd", "rs"), ("mistral-gqa4-bf16", "plain")]:
        logits(run, model, adapter)
    for config in ["clara-distinct", "clara-repeated"]:
        compress(run, config)
        rerank(run, config)
        ask(run, config)
    ask_text(run)
    for model in ("clara-distinct", "clara-repeated"):
        for stage in GRAD_STAGES:
            grad(run, model, stage, a.grad_tolerance)
    grad(run, "llama-gqa1", "lm", a.grad_tolerance)
    train_steps(run)
    default_model(run, a.questions)
    passed = sum(r["passed"] for r in run.results)
    print(f"{passed} passed, {len(run.results) - passed} failed", flush=True)
    if a.json:
        Path(a.json).write_text(json.dumps(dict(device=a.device, passed=passed, failed=len(run.results) - passed,
                                                comparisons=run.results), indent=1) + "\n")
    return 1 if run.failed else 0


if __name__ == "__main__":
    sys.exit(main())
