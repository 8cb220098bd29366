"""Loading an HF model directory or a PEFT adapter directory into the oracle's objects."""

from __future__ import annotations

import json
from pathlib import Path

from decoder import DecoderConfig, DecoderModel, LoraAdapter
from hf_files import read_adapter, read_model_weights


def load_model(directory: Path) -> DecoderModel:
    config = DecoderConfig.from_hf(json.loads((directory / "config.json").read_text()))
    return DecoderModel(config, read_model_weights(directory))


def load_adapter(directory: Path) -> LoraAdapter:
    config, pairs = read_adapter(directory)
    return LoraAdapter(config, pairs)
