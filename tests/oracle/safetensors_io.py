"""A minimal safetensors writer and reader (the `safetensors` package is not installed here).

Format: 8-byte little-endian header length N, N bytes of JSON header
{name: {"dtype", "shape", "data_offsets": [begin, end]}, "__metadata__": {str: str}},
then the raw little-endian tensor bytes, packed in header order without holes.
The header is padded with spaces to a multiple of 8 bytes, as the reference Rust writer does,
so readers must tolerate trailing whitespace in the header.
"""

from __future__ import annotations

import json
import struct
from pathlib import Path
from typing import Dict, Mapping, Optional, Tuple

import numpy as np
import torch

# torch dtype -> (safetensors dtype name, little-endian numpy dtype used for the raw bytes).
# BF16 has no numpy dtype: its bits travel as little-endian int16.
_TORCH_TO_STORAGE = {
    torch.float32: ("F32", np.dtype("<f4")),
    torch.float16: ("F16", np.dtype("<f2")),
    torch.bfloat16: ("BF16", np.dtype("<i2")),
    torch.int32: ("I32", np.dtype("<i4")),
    torch.int64: ("I64", np.dtype("<i8")),
}
_NAME_TO_TORCH = {name: dtype for dtype, (name, _) in _TORCH_TO_STORAGE.items()}

HEADER_ALIGNMENT = 8


def tensor_bytes(tensor: torch.Tensor) -> bytes:
    """Raw little-endian bytes of a tensor in row-major order."""
    if tensor.dtype not in _TORCH_TO_STORAGE:
        raise ValueError(f"unsupported dtype {tensor.dtype}")
    _, np_dtype = _TORCH_TO_STORAGE[tensor.dtype]
    contiguous = tensor.detach().contiguous().cpu()
    if tensor.dtype == torch.bfloat16:
        contiguous = contiguous.view(torch.int16)
    return contiguous.numpy().astype(np_dtype, copy=False).tobytes()


def write_safetensors(path: Path, tensors: Mapping[str, torch.Tensor],
                      metadata: Optional[Mapping[str, str]] = None) -> int:
    """Writes `tensors` in their iteration order; returns the number of tensor-data bytes."""
    header: Dict[str, object] = {}
    if metadata:
        header["__metadata__"] = {str(k): str(v) for k, v in metadata.items()}
    blobs = []
    offset = 0
    for name, tensor in tensors.items():
        blob = tensor_bytes(tensor)
        header[name] = {
            "dtype": _TORCH_TO_STORAGE[tensor.dtype][0],
            "shape": list(tensor.shape),
            "data_offsets": [offset, offset + len(blob)],
        }
        blobs.append(blob)
        offset += len(blob)
    header_json = json.dumps(header, separators=(",", ":")).encode("utf-8")
    header_json += b" " * (-len(header_json) % HEADER_ALIGNMENT)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(header_json)))
        f.write(header_json)
        for blob in blobs:
            f.write(blob)
    return offset


def read_safetensors(path: Path) -> Tuple[Dict[str, torch.Tensor], Dict[str, str]]:
    """Reads every tensor of a file (in header order) and its metadata, checking the layout."""
    data = Path(path).read_bytes()
    (header_len,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + header_len].decode("utf-8"))
    body = data[8 + header_len:]
    metadata = header.pop("__metadata__", {}) or {}
    tensors: Dict[str, torch.Tensor] = {}
    expected_begin = 0
    for name, entry in sorted(header.items(), key=lambda kv: kv[1]["data_offsets"][0]):
        begin, end = entry["data_offsets"]
        if begin != expected_begin:
            raise ValueError(f"{path}: tensor {name} leaves a hole or overlaps at byte {begin}")
        dtype = _NAME_TO_TORCH[entry["dtype"]]
        np_dtype = _TORCH_TO_STORAGE[dtype][1]
        count = int(np.prod(entry["shape"], dtype=np.int64))
        if end - begin != count * np_dtype.itemsize:
            raise ValueError(f"{path}: tensor {name} has {end - begin} bytes for shape {entry['shape']}")
        array = np.frombuffer(body, dtype=np_dtype, count=count, offset=begin).copy()
        tensor = torch.from_numpy(array.astype(np_dtype.newbyteorder("="), copy=False))
        if dtype == torch.bfloat16:
            tensor = tensor.view(torch.bfloat16)
        tensors[name] = tensor.reshape(entry["shape"])
        expected_begin = end
    if expected_begin != len(body):
        raise ValueError(f"{path}: {len(body) - expected_begin} trailing bytes after the last tensor")
    ordered = {name: tensors[name] for name in header}
    return ordered, dict(metadata)
