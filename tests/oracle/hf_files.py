"""Writing and reading Hugging Face model directories and PEFT LoRA adapter directories."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Dict, List, Mapping, Sequence, Tuple

import torch

from safetensors_io import read_safetensors, tensor_bytes, write_safetensors

SINGLE_FILE = "model.safetensors"
INDEX_FILE = "model.safetensors.index.json"
ADAPTER_CONFIG = "adapter_config.json"
ADAPTER_WEIGHTS = "adapter_model.safetensors"
PEFT_PREFIX = "base_model.model."
HF_WEIGHT_METADATA = {"format": "pt"}


def write_json(path: Path, value: object) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(value, indent=2) + "\n")


def shard_file_name(index: int, count: int) -> str:
    return f"model-{index:05d}-of-{count:05d}.safetensors"


def write_model_weights(directory: Path, weights: Mapping[str, torch.Tensor], shards: int) -> List[Path]:
    """Writes HF weights as one file or as `shards` files plus the index; returns the files written.

    Shards are cut by cumulative byte size, so a cut can fall inside a layer (as real checkpoints do).
    """
    if shards == 1:
        path = directory / SINGLE_FILE
        write_safetensors(path, weights, HF_WEIGHT_METADATA)
        return [path]
    sizes = {name: len(tensor_bytes(t)) for name, t in weights.items()}
    total = sum(sizes.values())
    groups: List[Dict[str, torch.Tensor]] = [dict() for _ in range(shards)]
    running = 0
    for name, tensor in weights.items():
        group = min(shards - 1, running * shards // total)
        groups[group][name] = tensor
        running += sizes[name]
    if any(not g for g in groups):
        raise ValueError("too many shards for this model")
    written = []
    weight_map: Dict[str, str] = {}
    for i, group in enumerate(groups, start=1):
        file_name = shard_file_name(i, shards)
        write_safetensors(directory / file_name, group, HF_WEIGHT_METADATA)
        written.append(directory / file_name)
        weight_map.update({name: file_name for name in group})
    write_json(directory / INDEX_FILE, {"metadata": {"total_size": total}, "weight_map": weight_map})
    written.append(directory / INDEX_FILE)
    return written


def read_model_weights(directory: Path) -> Dict[str, torch.Tensor]:
    """Loads every base weight in storage dtype, following the shard index when there is one."""
    index_path = directory / INDEX_FILE
    if not index_path.exists():
        return read_safetensors(directory / SINGLE_FILE)[0]
    index = json.loads(index_path.read_text())
    weights: Dict[str, torch.Tensor] = {}
    for file_name in sorted(set(index["weight_map"].values())):
        tensors, _ = read_safetensors(directory / file_name)
        for name, tensor in tensors.items():
            if index["weight_map"].get(name) != file_name:
                raise ValueError(f"{file_name}: tensor {name} is not mapped to this file by the index")
            weights[name] = tensor
    missing = set(index["weight_map"]) - set(weights)
    if missing:
        raise ValueError(f"{directory}: index names tensors no shard holds: {sorted(missing)}")
    total = sum(len(tensor_bytes(t)) for t in weights.values())
    if total != index["metadata"]["total_size"]:
        raise ValueError(f"{directory}: total_size {index['metadata']['total_size']} != {total}")
    return weights


def peft_adapter_config(r: int, lora_alpha: float, target_modules: Sequence[str], use_rslora: bool) -> dict:
    """The adapter_config.json fields PEFT writes for a LoRA adapter (inference values)."""
    return {
        "base_model_name_or_path": None,
        "bias": "none",
        "fan_in_fan_out": False,
        "inference_mode": True,
        "init_lora_weights": True,
        "layers_to_transform": None,
        "lora_alpha": lora_alpha,
        "lora_dropout": 0.1,
        "modules_to_save": None,
        "peft_type": "LORA",
        "r": r,
        "revision": None,
        "target_modules": list(target_modules),
        "task_type": "CAUSAL_LM",
        "use_dora": False,
        "use_rslora": use_rslora,
    }


def peft_key(module: str, part: str) -> str:
    """`model.layers.0.self_attn.q_proj`, `A` -> the PEFT safetensors tensor name."""
    return f"{PEFT_PREFIX}{module}.lora_{part}.weight"


def write_adapter(directory: Path, config: dict, pairs: Mapping[str, Tuple[torch.Tensor, torch.Tensor]]) -> None:
    """`pairs` maps an HF module path (e.g. `model.layers.0.mlp.down_proj`) to (A [r,in], B [out,r])."""
    tensors: Dict[str, torch.Tensor] = {}
    for module, (a, b) in pairs.items():
        tensors[peft_key(module, "A")] = a
        tensors[peft_key(module, "B")] = b
    write_json(directory / ADAPTER_CONFIG, config)
    write_safetensors(directory / ADAPTER_WEIGHTS, tensors, HF_WEIGHT_METADATA)


def read_adapter(directory: Path) -> Tuple[dict, Dict[str, Tuple[torch.Tensor, torch.Tensor]]]:
    config = json.loads((directory / ADAPTER_CONFIG).read_text())
    tensors, _ = read_safetensors(directory / ADAPTER_WEIGHTS)
    pairs: Dict[str, Tuple[torch.Tensor, torch.Tensor]] = {}
    for name in tensors:
        if not (name.startswith(PEFT_PREFIX) and name.endswith(".lora_A.weight")):
            continue
        module = name[len(PEFT_PREFIX):-len(".lora_A.weight")]
        pairs[module] = (tensors[name], tensors[peft_key(module, "B")])
    if 2 * len(pairs) != len(tensors):
        raise ValueError(f"{directory}: unpaired LoRA tensors")
    return config, pairs


