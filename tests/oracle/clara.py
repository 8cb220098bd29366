"""The CLaRa stages of /work/shared/clara-spec.md sections 2-5, on top of the decoder oracle:
encoder input layout, compression (memory + alignment loss), query vector, cosine scores,
straight-through top-k, memory splicing into the generator prompt, and greedy decoding.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import List, Sequence, Tuple

import torch

from decoder import DecoderModel, KvCache, LoraAdapter, hf_positions

Tensor = torch.Tensor
TOPK_TEMPERATURE_FLOOR = 1e-6
TAKEN_LOG_EPSILON = 1e-8


@dataclass(frozen=True)
class ClaraConfig:
    """The fields of clara.json (spec section 7)."""
    doc_max_length: int
    compression_rate: int
    mem_token_ids: Tuple[int, ...]
    enc_token_id: int
    sep_token_id: int
    ae_token_id: int
    pad_token_id: int
    bos_token_id: int
    eos_token_id: int
    top_k: int
    temperature: float

    @property
    def n_mem(self) -> int:
        return self.doc_max_length // self.compression_rate

    @property
    def encoder_text_length(self) -> int:
        """L0: <ENC> <s> document </s> is truncated/left-padded to this many tokens."""
        return self.doc_max_length + 3

    def to_json(self) -> dict:
        value = asdict(self)
        value["mem_token_ids"] = list(self.mem_token_ids)
        return value

    @staticmethod
    def load(path: Path) -> "ClaraConfig":
        value = json.loads(path.read_text())
        value["mem_token_ids"] = tuple(value["mem_token_ids"])
        return ClaraConfig(**value)


# ----------------------------------------------------------------------------------------------
# Section 2-3: encoder layout, compression, query vector, scores
# ----------------------------------------------------------------------------------------------

def encoder_inputs(texts: Sequence[Sequence[int]], cfg: ClaraConfig) -> Tuple[Tensor, Tensor]:
    """ids and mask [N, L0+n_mem]: <ENC> <s> text </s>, keep the first L0, left-pad, then the memory ids."""
    length = cfg.encoder_text_length
    rows, masks = [], []
    for text in texts:
        sequence = ([cfg.enc_token_id, cfg.bos_token_id] + list(text) + [cfg.eos_token_id])[:length]
        padding = length - len(sequence)
        rows.append([cfg.pad_token_id] * padding + sequence + list(cfg.mem_token_ids))
        masks.append([0] * padding + [1] * (len(sequence) + cfg.n_mem))
    return torch.tensor(rows, dtype=torch.long), torch.tensor(masks, dtype=torch.long)


def encode(model: DecoderModel, adapter: LoraAdapter, ids: Tensor, mask: Tensor) -> Tensor:
    """Final-norm hidden states [N,L,H]; positions 0..L-1 over the padded row, padding masked as keys."""
    positions = torch.arange(ids.shape[1]).expand(ids.shape[0], -1)
    return model.forward(model.embed(ids), positions, mask, adapter)


def compress(model: DecoderModel, adapter: LoraAdapter, ids: Tensor, mask: Tensor, cfg: ClaraConfig
             ) -> Tuple[Tensor, Tensor]:
    """memory [N,n_mem,H] (hidden states at the memory positions) and the alignment loss mse [N]."""
    hidden = encode(model, adapter, ids, mask)
    memory_positions = torch.zeros_like(mask, dtype=torch.bool)
    memory_positions[:, -cfg.n_mem:] = True
    text_positions = mask.bool() & ~memory_positions
    memory_mean = hidden[:, -cfg.n_mem:].mean(dim=1)
    text_mean = (hidden * text_positions[..., None]).sum(dim=1) / text_positions.sum(dim=1, keepdim=True)
    mse = (text_mean - memory_mean).pow(2).mean(dim=-1)
    return hidden[:, -cfg.n_mem:].clone(), mse


def query_vector(model: DecoderModel, adapter: LoraAdapter, ids: Tensor, mask: Tensor, cfg: ClaraConfig
                 ) -> Tensor:
    """The question's memory-position hidden states flattened: [B, n_mem*H]."""
    hidden = encode(model, adapter, ids, mask)
    return hidden[:, -cfg.n_mem:].reshape(ids.shape[0], -1)


def cosine_scores(query: Tensor, memory: Tensor) -> Tensor:
    """s_i = <q/|q|, d_i/|d_i|> over the flattened memories; query [n_mem*H], memory [N,n_mem,H]."""
    documents = memory.reshape(memory.shape[0], -1)
    q = query / query.norm()
    return (documents / documents.norm(dim=-1, keepdim=True)) @ q


# ----------------------------------------------------------------------------------------------
# Section 4: straight-through top-k
# ----------------------------------------------------------------------------------------------

@dataclass
class StraightThroughTopK:
    indices: Tensor   # I64 [k], best first
    hard: Tensor      # H [k,N]
    soft: Tensor      # P [k,N] (differentiable w.r.t. the scores)
    weights: Tensor   # W = H + (P - stopgrad(P)) [k,N]


def straight_through_topk(scores: Tensor, k: int, temperature: float) -> StraightThroughTopK:
    z = scores / max(temperature, TOPK_TEMPERATURE_FLOOR)
    indices = torch.topk(z.detach(), k).indices
    hard = torch.zeros(k, scores.shape[0], dtype=scores.dtype)
    hard[torch.arange(k), indices] = 1.0
    taken = torch.zeros(scores.shape[0], dtype=scores.dtype)
    slots = []
    for j in range(k):
        slots.append(torch.softmax(z + torch.log(1.0 - taken + TAKEN_LOG_EPSILON), dim=-1))
        taken = torch.clamp(taken + hard[j], max=1.0)
    soft = torch.stack(slots)
    return StraightThroughTopK(indices, hard, soft, hard + (soft - soft.detach()))


def straight_through_score_gradient(topk: StraightThroughTopK, upstream: Tensor, temperature: float) -> Tensor:
    """Closed form of d(sum(W*G))/ds: softmax backward per slot, then the 1/tau of z = s/tau."""
    soft = topk.soft.detach()
    per_slot = soft * (upstream - (upstream * soft).sum(dim=-1, keepdim=True))
    return per_slot.sum(dim=0) / max(temperature, TOPK_TEMPERATURE_FLOOR)


# ----------------------------------------------------------------------------------------------
# Section 5: prompt splicing and greedy generation
# ----------------------------------------------------------------------------------------------

def memory_slot_starts(prompt: Sequence[int], cfg: ClaraConfig) -> List[int]:
    """Start index of each occurrence of the memory-id sequence, left to right, non-overlapping."""
    pattern = list(cfg.mem_token_ids)
    starts, i = [], 0
    while i + len(pattern) <= len(prompt):
        if list(prompt[i:i + len(pattern)]) == pattern:
            starts.append(i)
            i += len(pattern)
        else:
            i += 1
    return starts


def splice_memory(model: DecoderModel, prompt: Tensor, selected: Tensor, cfg: ClaraConfig) -> Tensor:
    """Token embeddings [T,H] of `prompt` with slot j's placeholders replaced by selected[j] [n_mem,H]."""
    starts = memory_slot_starts(prompt.tolist(), cfg)
    if len(starts) != selected.shape[0]:
        raise ValueError(f"prompt has {len(starts)} memory slots, {selected.shape[0]} memories given")
    embeds = model.embed(prompt).clone()
    for slot, start in enumerate(starts):
        embeds[start:start + cfg.n_mem] = selected[slot]
    return embeds


@dataclass
class Generation:
    tokens: List[int]
    margins: List[float]   # top-1 minus top-2 logit at every step (how safely greedy is decided)


def top_two_margin(logits: Tensor) -> float:
    best = torch.topk(logits, 2).values
    return (best[0] - best[1]).item()


def greedy_generate(model: DecoderModel, adapter: LoraAdapter, embeds: Tensor, max_new_tokens: int,
                    eos: int) -> Generation:
    """Greedy decoding by full recomputation over [prompt embeds + new token embeddings]."""
    tokens: List[int] = []
    margins: List[float] = []
    for _ in range(max_new_tokens):
        length = embeds.shape[0]
        hidden = model.forward(embeds[None], torch.arange(length)[None],
                               torch.ones(1, length, dtype=torch.long), adapter)
        logits = model.logits(hidden[0, -1])
        token = int(torch.argmax(logits))
        tokens.append(token)
        margins.append(top_two_margin(logits))
        if token == eos:
            break
        embeds = torch.cat([embeds, model.embed(torch.tensor([token]))])
    return Generation(tokens, margins)


def greedy_generate_cached(model: DecoderModel, adapter: LoraAdapter, embeds: Tensor, max_new_tokens: int,
                           eos: int) -> Tuple[List[int], Tensor]:
    """The same decoding with a KV cache; returns the tokens and each step's logits [steps,V]."""
    cache = KvCache(model.config.num_hidden_layers)
    length = embeds.shape[0]
    hidden = model.forward(embeds[None], torch.arange(length)[None], torch.ones(1, length, dtype=torch.long),
                           adapter, cache)
    step_logits = [model.logits(hidden[0, -1])]
    tokens = [int(torch.argmax(step_logits[-1]))]
    while tokens[-1] != eos and len(tokens) < max_new_tokens:
        position = cache.length
        hidden = model.forward(model.embed(torch.tensor([[tokens[-1]]])), torch.tensor([[position]]),
                               torch.ones(1, position + 1, dtype=torch.long), adapter, cache)
        step_logits.append(model.logits(hidden[0, -1]))
        tokens.append(int(torch.argmax(step_logits[-1])))
    return tokens, torch.stack(step_logits)


def greedy_generate_batch(model: DecoderModel, adapter: LoraAdapter, embeds: Tensor, mask: Tensor,
                          max_new_tokens: int, eos: int, pad: int) -> List[List[int]]:
    """Left-padded batch decoding as HF generate does it: positions from the first real token,
    finished rows keep receiving the pad id (their outputs are discarded), full recomputation."""
    finished = [False] * embeds.shape[0]
    outputs: List[List[int]] = [[] for _ in finished]
    for _ in range(max_new_tokens):
        hidden = model.forward(embeds, hf_positions(mask), mask, adapter)
        next_tokens = torch.argmax(model.logits(hidden[:, -1]), dim=-1).tolist()
        fed = []
        for row, token in enumerate(next_tokens):
            if finished[row]:
                fed.append(pad)
                continue
            outputs[row].append(token)
            finished[row] = token == eos
            fed.append(token)
        if all(finished):
            break
        embeds = torch.cat([embeds, model.embed(torch.tensor(fed))[:, None]], dim=1)
        mask = torch.cat([mask, torch.ones(mask.shape[0], 1, dtype=mask.dtype)], dim=1)
    return outputs
