"""Seeded random HF models and PEFT adapters: the specs, the weights, and their directories."""

from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, Optional, Tuple

import torch

from hf_files import (peft_adapter_config, read_adapter, read_model_weights, write_adapter, write_json,
                      write_model_weights)

ALL_TARGETS = ("q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj")
BOS, EOS = 1, 2

@dataclass(frozen=True)
class AdapterSpec:
    name: str
    r: int
    lora_alpha: float
    target_modules: Tuple[str, ...] = ALL_TARGETS
    use_rslora: bool = False


@dataclass(frozen=True)
class ModelSpec:
    name: str
    model_type: str
    hidden_size: int
    intermediate_size: int
    num_hidden_layers: int
    num_attention_heads: int
    num_key_value_heads: int
    head_dim: int
    vocab_size: int
    rope_theta: float
    rms_norm_eps: float
    tie_word_embeddings: bool
    storage_dtype: torch.dtype
    shards: int
    seed: int
    adapters: Tuple[AdapterSpec, ...] = field(default_factory=tuple)
    pad_token_id: Optional[int] = None
    # Multiplies the lm_head row of </s>: random models otherwise tend to emit </s> never or at
    # once; a tuned row makes greedy answers stop after a few tokens for some prompts only.
    eos_logit_scale: float = 1.0


_DTYPE_NAMES = {torch.float32: "float32", torch.bfloat16: "bfloat16"}


def hf_config(spec: ModelSpec) -> dict:
    architecture = {"llama": "LlamaForCausalLM", "mistral": "MistralForCausalLM"}[spec.model_type]
    config = {
        "architectures": [architecture],
        "model_type": spec.model_type,
        "hidden_size": spec.hidden_size,
        "intermediate_size": spec.intermediate_size,
        "num_hidden_layers": spec.num_hidden_layers,
        "num_attention_heads": spec.num_attention_heads,
        "num_key_value_heads": spec.num_key_value_heads,
        "head_dim": spec.head_dim,
        "hidden_act": "silu",
        "rms_norm_eps": spec.rms_norm_eps,
        "rope_theta": spec.rope_theta,
        "vocab_size": spec.vocab_size,
        "max_position_embeddings": 2048,
        "tie_word_embeddings": spec.tie_word_embeddings,
        "torch_dtype": _DTYPE_NAMES[spec.storage_dtype],
        "bos_token_id": BOS,
        "eos_token_id": EOS,
        "pad_token_id": spec.pad_token_id,
        "attention_bias": False,
        "initializer_range": 0.02,
    }
    if spec.model_type == "mistral":
        config["sliding_window"] = None
    return config


def linear_shapes(spec: ModelSpec) -> Dict[str, Tuple[int, int]]:
    """[out, in] of every projection of one block, in HF state_dict order."""
    h, i = spec.hidden_size, spec.intermediate_size
    q, kv = spec.num_attention_heads * spec.head_dim, spec.num_key_value_heads * spec.head_dim
    return {
        "self_attn.q_proj": (q, h), "self_attn.k_proj": (kv, h), "self_attn.v_proj": (kv, h),
        "self_attn.o_proj": (h, q),
        "mlp.gate_proj": (i, h), "mlp.up_proj": (i, h), "mlp.down_proj": (h, i),
    }


def random_weights(spec: ModelSpec, gen: torch.Generator) -> Dict[str, torch.Tensor]:
    """HF-named weights in state_dict order, scaled so activations stay O(1), in storage dtype."""
    h, v = spec.hidden_size, spec.vocab_size
    weights: Dict[str, torch.Tensor] = {"model.embed_tokens.weight": torch.randn(v, h, generator=gen)}
    for layer in range(spec.num_hidden_layers):
        prefix = f"model.layers.{layer}."
        for module, shape in linear_shapes(spec).items():
            weights[prefix + module + ".weight"] = 0.1 * torch.randn(*shape, generator=gen)
        weights[prefix + "input_layernorm.weight"] = 1.0 + 0.1 * torch.randn(h, generator=gen)
        weights[prefix + "post_attention_layernorm.weight"] = 1.0 + 0.1 * torch.randn(h, generator=gen)
    weights["model.norm.weight"] = 1.0 + 0.1 * torch.randn(h, generator=gen)
    if not spec.tie_word_embeddings:
        weights["lm_head.weight"] = 0.1 * torch.randn(v, h, generator=gen)
        weights["lm_head.weight"][EOS] *= spec.eos_logit_scale
    elif spec.eos_logit_scale != 1.0:
        raise ValueError(f"{spec.name}: eos_logit_scale needs an untied lm_head")
    return {name: t.to(spec.storage_dtype) for name, t in weights.items()}


def random_adapter(spec: ModelSpec, adapter: AdapterSpec, gen: torch.Generator
                   ) -> Dict[str, Tuple[torch.Tensor, torch.Tensor]]:
    """LoRA (A, B) per targeted module; B is non-zero so the adapter changes the output."""
    pairs = {}
    for layer in range(spec.num_hidden_layers):
        for module, (out_features, in_features) in linear_shapes(spec).items():
            if module.split(".")[-1] not in adapter.target_modules:
                continue
            a = 0.1 * torch.randn(adapter.r, in_features, generator=gen)
            b = 0.1 * torch.randn(out_features, adapter.r, generator=gen)
            pairs[f"model.layers.{layer}.{module}"] = (a, b)
    return pairs


def write_model_directory(directory: Path, spec: ModelSpec, gen: torch.Generator) -> None:
    if directory.exists():
        shutil.rmtree(directory)
    write_json(directory / "config.json", hf_config(spec))
    write_model_weights(directory, random_weights(spec, gen), spec.shards)
    for adapter in spec.adapters:
        config = peft_adapter_config(adapter.r, adapter.lora_alpha, adapter.target_modules, adapter.use_rslora)
        write_adapter(directory / "adapters" / adapter.name, config, random_adapter(spec, adapter, gen))


def check_round_trip(spec: ModelSpec, directory: Path, seed: int) -> None:
    """What `write_model_directory(directory, spec, seed)` wrote reads back bit-for-bit, bf16 included."""
    gen = torch.Generator().manual_seed(seed)
    expected = random_weights(spec, gen)
    loaded = read_model_weights(directory)
    if list(loaded) != list(expected):
        raise AssertionError(f"{spec.name}: tensor names read back differ from those written")
    for name, tensor in expected.items():
        if loaded[name].dtype != tensor.dtype or not torch.equal(loaded[name], tensor):
            raise AssertionError(f"{spec.name}: {name} does not read back as written")
    for adapter in spec.adapters:
        written = random_adapter(spec, adapter, gen)
        _, pairs = read_adapter(directory / "adapters" / adapter.name)
        if set(pairs) != set(written):
            raise AssertionError(f"{spec.name}/{adapter.name}: LoRA modules read back differ")
        for module, (a, b) in written.items():
            if not (torch.equal(pairs[module][0], a) and torch.equal(pairs[module][1], b)):
                raise AssertionError(f"{spec.name}/{adapter.name}: {module} does not read back")
