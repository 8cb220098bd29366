"""Small helpers shared by the fixture builders: masks, unpadded forwards, checks, file notes."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Dict, Optional

import torch

from decoder import DecoderModel, LoraAdapter

REPO = Path(__file__).resolve().parents[2]
FIXTURES = REPO / "tests" / "fixtures"
GENERATOR = "tests/oracle/make_fixtures.py"


def full_mask(batch: int, length: int) -> torch.Tensor:
    return torch.ones(batch, length, dtype=torch.long)


def sequence_hidden(model: DecoderModel, embeds: torch.Tensor, adapter: Optional[LoraAdapter] = None,
                    trace: Optional[Dict[str, torch.Tensor]] = None) -> torch.Tensor:
    """Final-norm hidden states [T,H] of one unpadded sequence of embeddings at positions 0..T-1."""
    length = embeds.shape[0]
    return model.forward(embeds[None], torch.arange(length)[None], full_mask(1, length), adapter,
                         trace=trace)[0]


def sequence_logits(model: DecoderModel, ids: torch.Tensor, adapter: Optional[LoraAdapter] = None,
                    trace: Optional[Dict[str, torch.Tensor]] = None) -> torch.Tensor:
    """Logits [T,V] of one unpadded token sequence at positions 0..T-1."""
    return model.logits(sequence_hidden(model, model.embed(ids), adapter, trace))


def assert_close(actual: torch.Tensor, expected: torch.Tensor, what: str, atol: float = 2e-5) -> None:
    error = (actual - expected).abs().max().item()
    if not error <= atol:
        raise AssertionError(f"{what}: max abs difference {error:.3e} > {atol:.1e}")


def reference_metadata(name: str) -> Dict[str, str]:
    return {"config": name, "torch": torch.__version__, "generator": GENERATOR}


def describe(path: Path) -> str:
    digest = hashlib.sha256(path.read_bytes()).hexdigest()[:12]
    return f"{path.relative_to(REPO)}  {path.stat().st_size:>8} B  sha256 {digest}"


def print_written(root: Path) -> None:
    paths = [root] if root.is_file() else sorted(p for p in root.rglob("*") if p.is_file())
    for path in paths:
        print("wrote", describe(path))
