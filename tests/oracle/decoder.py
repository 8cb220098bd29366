"""A plain-PyTorch re-implementation of the HF transformers Llama/Mistral forward (eager attention)
with PEFT LoRA, computed in float32 on weights upcast from their storage dtype (float64 when a fixture builder sets
COMPUTE: the gradient references, whose own float32 rounding would use up half of a 1e-5 tolerance).

It follows HF semantics operation by operation: RMSNorm in fp32, `rotate_half` RoPE with fp32
inv_freq, GQA by repeating KV heads, causal softmax attention in fp32 with 1/sqrt(head_dim) scale,
SwiGLU MLP, final norm, lm_head (or the tied embedding).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Dict, List, Mapping, Optional, Tuple

import torch
import torch.nn.functional as F

Tensor = torch.Tensor
# The dtype every forward computes in; float32 as HF does, unless a fixture builder asks for float64 before loading.
COMPUTE = torch.float32


@dataclass(frozen=True)
class DecoderConfig:
    model_type: str
    hidden_size: int
    intermediate_size: int
    num_hidden_layers: int
    num_attention_heads: int
    num_key_value_heads: int
    head_dim: int
    rms_norm_eps: float
    rope_theta: float
    vocab_size: int
    tie_word_embeddings: bool

    @staticmethod
    def from_hf(config: Mapping) -> "DecoderConfig":
        heads = config["num_attention_heads"]
        return DecoderConfig(
            model_type=config["model_type"],
            hidden_size=config["hidden_size"],
            intermediate_size=config["intermediate_size"],
            num_hidden_layers=config["num_hidden_layers"],
            num_attention_heads=heads,
            num_key_value_heads=config.get("num_key_value_heads", heads),
            head_dim=config.get("head_dim") or config["hidden_size"] // heads,
            rms_norm_eps=config["rms_norm_eps"],
            rope_theta=config.get("rope_theta", 10000.0),
            vocab_size=config["vocab_size"],
            tie_word_embeddings=config.get("tie_word_embeddings", False),
        )


class LoraAdapter:
    """PEFT LoRA deltas: y = W x + scale * B (A x); scale = alpha/r, or alpha/sqrt(r) with rsLoRA."""

    def __init__(self, config: Mapping, pairs: Mapping[str, Tuple[Tensor, Tensor]]):
        r = config["r"]
        alpha = config["lora_alpha"]
        self.scale = alpha / math.sqrt(r) if config.get("use_rslora", False) else alpha / r
        self.pairs = {m: (a.to(COMPUTE), b.to(COMPUTE)) for m, (a, b) in pairs.items()}

    def delta(self, module: str, x: Tensor) -> Optional[Tensor]:
        pair = self.pairs.get(module)
        if pair is None:
            return None
        a, b = pair
        return self.scale * F.linear(F.linear(x, a), b)


class DecoderModel:
    """Base weights (upcast to fp32) plus the config; `forward` optionally applies one adapter."""

    def __init__(self, config: DecoderConfig, weights: Mapping[str, Tensor]):
        self.config = config
        self.weights = {name: t.to(COMPUTE) for name, t in weights.items()}

    def weight(self, name: str) -> Tensor:
        return self.weights[name]

    @property
    def embed_tokens(self) -> Tensor:
        return self.weights["model.embed_tokens.weight"]

    @property
    def lm_head(self) -> Tensor:
        if self.config.tie_word_embeddings:
            return self.embed_tokens
        return self.weights["lm_head.weight"]

    def embed(self, ids: Tensor) -> Tensor:
        return F.embedding(ids.long(), self.embed_tokens)

    def logits(self, normed_hidden: Tensor) -> Tensor:
        return F.linear(normed_hidden, self.lm_head)

    def linear(self, x: Tensor, module: str, adapter: Optional[LoraAdapter]) -> Tensor:
        y = F.linear(x, self.weight(module + ".weight"))
        if adapter is not None:
            delta = adapter.delta(module, x)
            if delta is not None:
                y = y + delta
        return y

    def forward(self, embeds: Tensor, positions: Tensor, key_mask: Tensor,
                adapter: Optional[LoraAdapter] = None, cache: Optional["KvCache"] = None,
                trace: Optional[Dict[str, Tensor]] = None) -> Tensor:
        """embeds [B,T,H]; positions [B,T]; key_mask [B, past+T] (1 = real token, 0 = padding).

        Returns the hidden states after the final RMSNorm, [B,T,H]. With `cache`, the new keys and
        values are appended to it and attention covers past+T keys. `trace` (batch of one) receives
        the named intermediates documented in tests/fixtures/reference/README.md.
        """
        cfg = self.config
        batch, length, _ = embeds.shape
        past = 0 if cache is None else cache.length
        if key_mask.shape != (batch, past + length):
            raise ValueError(f"key_mask {tuple(key_mask.shape)} != {(batch, past + length)}")
        cos, sin = rope_cos_sin(positions, cfg.head_dim, cfg.rope_theta)
        query_index = past + torch.arange(length)
        key_index = torch.arange(past + length)
        causal = key_index[None, :] <= query_index[:, None]
        allowed = causal[None, :, :] & key_mask.bool()[:, None, :]  # [B,T,S]

        hidden = embeds.to(COMPUTE)
        record(trace, "hidden.embed", hidden)
        for i in range(cfg.num_hidden_layers):
            prefix = f"model.layers.{i}."
            normed = rms_norm(hidden, self.weight(prefix + "input_layernorm.weight"), cfg.rms_norm_eps)
            record(trace, f"layer{i}.attn_norm", normed)
            attended = self.attention(i, normed, cos, sin, allowed, adapter, cache, trace)
            record(trace, f"layer{i}.attn", attended)
            hidden = hidden + self.linear(attended, prefix + "self_attn.o_proj", adapter)
            normed = rms_norm(hidden, self.weight(prefix + "post_attention_layernorm.weight"), cfg.rms_norm_eps)
            record(trace, f"layer{i}.mlp_norm", normed)
            mlp = self.mlp(i, normed, adapter)
            record(trace, f"layer{i}.mlp", mlp)
            hidden = hidden + mlp
            record(trace, f"hidden.layer{i}", hidden)
        if cache is not None:
            cache.length += length
        final = rms_norm(hidden, self.weight("model.norm.weight"), cfg.rms_norm_eps)
        record(trace, "hidden.final_norm", final)
        return final

    def attention(self, layer: int, x: Tensor, cos: Tensor, sin: Tensor, allowed: Tensor,
                  adapter: Optional[LoraAdapter], cache: Optional["KvCache"],
                  trace: Optional[Dict[str, Tensor]]) -> Tensor:
        cfg = self.config
        batch, length, _ = x.shape
        heads, kv_heads, head_dim = cfg.num_attention_heads, cfg.num_key_value_heads, cfg.head_dim
        prefix = f"model.layers.{layer}.self_attn."
        q = self.linear(x, prefix + "q_proj", adapter).view(batch, length, heads, head_dim).transpose(1, 2)
        k = self.linear(x, prefix + "k_proj", adapter).view(batch, length, kv_heads, head_dim).transpose(1, 2)
        v = self.linear(x, prefix + "v_proj", adapter).view(batch, length, kv_heads, head_dim).transpose(1, 2)
        q = apply_rope(q, cos, sin)
        k = apply_rope(k, cos, sin)
        record(trace, f"layer{layer}.q_rope", merge_heads(q))
        record(trace, f"layer{layer}.k_rope", merge_heads(k))
        record(trace, f"layer{layer}.v", merge_heads(v))
        if cache is not None:
            k, v = cache.append(layer, k, v)
        groups = heads // kv_heads
        k = repeat_kv(k, groups)
        v = repeat_kv(v, groups)
        scores = torch.matmul(q, k.transpose(2, 3)) / math.sqrt(head_dim)
        scores = scores.masked_fill(~allowed[:, None, :, :], float("-inf"))
        probs = torch.softmax(scores.to(COMPUTE), dim=-1)
        # A padding query whose every key is padding gets NaN; its output is never read.
        probs = torch.nan_to_num(probs, nan=0.0)
        return merge_heads(torch.matmul(probs, v))

    def mlp(self, layer: int, x: Tensor, adapter: Optional[LoraAdapter]) -> Tensor:
        prefix = f"model.layers.{layer}.mlp."
        gate = self.linear(x, prefix + "gate_proj", adapter)
        up = self.linear(x, prefix + "up_proj", adapter)
        return self.linear(F.silu(gate) * up, prefix + "down_proj", adapter)


class KvCache:
    """Per-layer post-RoPE keys and values, [B, kv_heads, S, head_dim], as HF's DynamicCache holds."""

    def __init__(self, layers: int):
        self.keys: List[Optional[Tensor]] = [None] * layers
        self.values: List[Optional[Tensor]] = [None] * layers
        self.length = 0

    def append(self, layer: int, k: Tensor, v: Tensor) -> Tuple[Tensor, Tensor]:
        if self.keys[layer] is not None:
            k = torch.cat([self.keys[layer], k], dim=2)
            v = torch.cat([self.values[layer], v], dim=2)
        self.keys[layer], self.values[layer] = k, v
        return k, v


def record(trace: Optional[Dict[str, Tensor]], name: str, value: Tensor) -> None:
    if trace is not None:
        trace[name] = value[0].detach().clone()


def rms_norm(x: Tensor, weight: Tensor, eps: float) -> Tensor:
    x = x.to(COMPUTE)
    variance = x.pow(2).mean(-1, keepdim=True)
    return weight * (x * torch.rsqrt(variance + eps))


def rope_cos_sin(positions: Tensor, head_dim: int, theta: float) -> Tuple[Tensor, Tensor]:
    """cos/sin [B,T,head_dim] exactly as HF LlamaRotaryEmbedding (default rope type) builds them."""
    inv_freq = 1.0 / (theta ** (torch.arange(0, head_dim, 2, dtype=torch.int64).to(COMPUTE) / head_dim))
    freqs = positions.to(COMPUTE)[:, :, None] * inv_freq[None, None, :]
    emb = torch.cat([freqs, freqs], dim=-1)
    return emb.cos(), emb.sin()


def rotate_half(x: Tensor) -> Tensor:
    half = x.shape[-1] // 2
    return torch.cat([-x[..., half:], x[..., :half]], dim=-1)


def apply_rope(x: Tensor, cos: Tensor, sin: Tensor) -> Tensor:
    """x [B,heads,T,D]; cos/sin [B,T,D]."""
    return x * cos[:, None] + rotate_half(x) * sin[:, None]


def repeat_kv(x: Tensor, groups: int) -> Tensor:
    """[B,kv,S,D] -> [B,kv*groups,S,D]; query head h reads KV head h // groups (HF repeat_kv)."""
    batch, kv_heads, length, head_dim = x.shape
    if groups == 1:
        return x
    return x[:, :, None].expand(batch, kv_heads, groups, length, head_dim).reshape(
        batch, kv_heads * groups, length, head_dim)


def merge_heads(x: Tensor) -> Tensor:
    """[B,heads,T,D] -> [B,T,heads*D] (head-major within a row, as HF's reshape before o_proj)."""
    batch, heads, length, head_dim = x.shape
    return x.transpose(1, 2).reshape(batch, length, heads * head_dim)


def hf_positions(mask: Tensor) -> Tensor:
    """Positions for a left-padded batch as HF generate builds them: cumsum(mask)-1, 1 on padding."""
    mask = mask.long()
    positions = mask.cumsum(-1) - 1
    return positions.masked_fill(mask == 0, 1)
