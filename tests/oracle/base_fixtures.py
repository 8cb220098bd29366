"""Phase 1 fixtures: plain HF models with PEFT adapters, and their reference forward values."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Dict, Optional, Tuple

import torch

from decoder import DecoderModel, KvCache, LoraAdapter, hf_positions
from fixture_util import (FIXTURES, assert_close, full_mask, print_written, reference_metadata,
                          sequence_logits)
from hf_files import read_model_weights, write_model_weights
from model_files import load_adapter, load_model
from random_models import BOS, AdapterSpec, ModelSpec, check_round_trip, write_model_directory
from safetensors_io import read_safetensors, write_safetensors

SEQUENCE_LENGTH = 11
BATCH_LENGTHS = (9, 6, 2)
BATCH_PAD_ID = 0

PLAIN = AdapterSpec("plain", r=4, lora_alpha=8)
RS = AdapterSpec("rs", r=4, lora_alpha=6, target_modules=("q_proj", "v_proj", "down_proj"), use_rslora=True)

BASE_MODELS = (
    ModelSpec("llama-gqa1", "llama", hidden_size=32, intermediate_size=88, num_hidden_layers=2,
              num_attention_heads=4, num_key_value_heads=4, head_dim=8, vocab_size=97, rope_theta=10000.0,
              rms_norm_eps=1e-6, tie_word_embeddings=True, storage_dtype=torch.float32, shards=1, seed=1001,
              adapters=(PLAIN,)),
    ModelSpec("mistral-gqa2-odd", "mistral", hidden_size=37, intermediate_size=75, num_hidden_layers=3,
              num_attention_heads=4, num_key_value_heads=2, head_dim=10, vocab_size=131, rope_theta=1e6,
              rms_norm_eps=1e-5, tie_word_embeddings=False, storage_dtype=torch.float32, shards=2, seed=1002,
              adapters=(PLAIN, RS)),
    ModelSpec("mistral-gqa4-bf16", "mistral", hidden_size=64, intermediate_size=120, num_hidden_layers=2,
              num_attention_heads=8, num_key_value_heads=2, head_dim=8, vocab_size=113, rope_theta=500000.0,
              rms_norm_eps=1e-5, tie_word_embeddings=False, storage_dtype=torch.bfloat16, shards=1, seed=1003,
              adapters=(PLAIN,)),
)


def spread_tokens(vocab: int, gen: torch.Generator) -> torch.Tensor:
    """BOS, then distinct ids drawn over the whole vocabulary, always including the last id."""
    draws = (torch.randperm(vocab - 4, generator=gen)[:SEQUENCE_LENGTH - 2] + 3).tolist()
    middle = len(draws) // 2
    return torch.tensor([BOS] + draws[:middle] + [vocab - 1] + draws[middle:], dtype=torch.long)


def left_padded_batch(first_row: torch.Tensor, vocab: int, gen: torch.Generator
                      ) -> Tuple[torch.Tensor, torch.Tensor]:
    """Rows with BATCH_LENGTHS real tokens (the first row reuses `first_row`), left-padded."""
    width = max(BATCH_LENGTHS)
    ids = torch.full((len(BATCH_LENGTHS), width), BATCH_PAD_ID, dtype=torch.long)
    mask = torch.zeros_like(ids)
    for row, length in enumerate(BATCH_LENGTHS):
        real = first_row[:length] if row == 0 else torch.randint(3, vocab, (length,), generator=gen)
        ids[row, width - length:] = real
        mask[row, width - length:] = 1
    return ids, mask


def check_kv_cache_decoding(model: DecoderModel, ids: torch.Tensor, adapter: Optional[LoraAdapter],
                            full_logits: torch.Tensor, what: str) -> None:
    """Prefill half of the sequence, then one token at a time: must equal the full forward."""
    split = ids.shape[0] // 2
    cache = KvCache(model.config.num_hidden_layers)
    prefill = model.forward(model.embed(ids[:split])[None], torch.arange(split)[None], full_mask(1, split),
                            adapter, cache)
    pieces = [model.logits(prefill)[0]]
    for t in range(split, ids.shape[0]):
        hidden = model.forward(model.embed(ids[t:t + 1])[None], torch.tensor([[t]]), full_mask(1, t + 1),
                               adapter, cache)
        pieces.append(model.logits(hidden)[0])
    assert_close(torch.cat(pieces), full_logits, f"{what}: KV-cache decoding vs full forward")


def check_shard_loading(spec: ModelSpec, directory: Path) -> None:
    """Sharded and single-file copies of the same weights must load to identical tensors."""
    sharded = read_model_weights(directory)
    with tempfile.TemporaryDirectory() as scratch:
        write_model_weights(Path(scratch), sharded, 1)
        single = read_model_weights(Path(scratch))
    if list(sharded) != list(single) or any(not torch.equal(sharded[n], single[n]) for n in sharded):
        raise AssertionError(f"{spec.name}: sharded and single-file loads differ")


def base_reference(spec: ModelSpec, directory: Path, gen: torch.Generator) -> Dict[str, torch.Tensor]:
    model = load_model(directory)
    tokens = spread_tokens(spec.vocab_size, gen)
    trace: Dict[str, torch.Tensor] = {}
    logits = sequence_logits(model, tokens, trace=trace)
    check_kv_cache_decoding(model, tokens, None, logits, spec.name)
    reference: Dict[str, torch.Tensor] = {"tokens": tokens.int(), "logits": logits}
    reference.update(trace)
    for adapter_spec in spec.adapters:
        adapter = load_adapter(directory / "adapters" / adapter_spec.name)
        adapted = sequence_logits(model, tokens, adapter)
        if (adapted - logits).abs().max() < 1e-2:
            raise AssertionError(f"{spec.name}/{adapter_spec.name}: the adapter barely changes the logits")
        check_kv_cache_decoding(model, tokens, adapter, adapted, f"{spec.name}/{adapter_spec.name}")
        reference[f"logits.{adapter_spec.name}"] = adapted

    ids, mask = left_padded_batch(tokens, spec.vocab_size, gen)
    positions = hf_positions(mask)
    batch_logits = model.logits(model.forward(model.embed(ids), positions, mask))
    for row, length in enumerate(BATCH_LENGTHS):
        alone = sequence_logits(model, ids[row, -length:])
        assert_close(batch_logits[row, -length:], alone, f"{spec.name}: padded batch row {row} vs unpadded")
    reference.update({"batch.tokens": ids.int(), "batch.mask": mask.int(), "batch.positions": positions.int(),
                      "batch.logits": batch_logits})
    return reference


def write_reference(name: str, reference: Dict[str, torch.Tensor]) -> Path:
    path = FIXTURES / "reference" / f"{name}.safetensors"
    write_safetensors(path, reference, reference_metadata(name))
    read_back, _ = read_safetensors(path)
    if list(read_back) != list(reference) or any(not torch.equal(read_back[n], reference[n]) for n in reference):
        raise AssertionError(f"{path}: does not read back as written")
    return path


def make_base_models() -> None:
    for spec in BASE_MODELS:
        directory = FIXTURES / "models" / spec.name
        write_model_directory(directory, spec, torch.Generator().manual_seed(spec.seed))
        check_round_trip(spec, directory, spec.seed)
        if spec.shards > 1:
            check_shard_loading(spec, directory)
        reference = base_reference(spec, directory, torch.Generator().manual_seed(spec.seed + 500))
        print_written(directory)
        print_written(write_reference(spec.name, reference))
