#!/usr/bin/python3
"""Generates the Clara.Engine test fixtures from an independent PyTorch oracle.

Run from anywhere:  /usr/bin/python3 tests/oracle/make_fixtures.py
Writes tests/fixtures/models/<name>/ (HF model + PEFT adapter directories),
tests/fixtures/clara/<name>/ (CLaRa directories) and tests/fixtures/reference/<name>.safetensors.
Everything is seeded, and single-threaded CPU maths makes reruns byte-identical on one machine.
Reference values are computed from the files as written and read back.
"""

from __future__ import annotations

import sys
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))

import base_fixtures  # noqa: E402
import clara_fixtures  # noqa: E402


def main() -> int:
    torch.set_num_threads(1)  # one thread: every reduction runs in one order, so reruns are identical
    torch.use_deterministic_algorithms(True)
    base_fixtures.make_base_models()
    clara_fixtures.make_clara_models()
    return 0


if __name__ == "__main__":
    sys.exit(main())
