"""Phase 2 fixtures: CLaRa directories (spec section 7) and their reference values (sections 2-5)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Dict, List, Sequence, Tuple

import torch

from clara import (ClaraConfig, Generation, compress, cosine_scores, encoder_inputs, greedy_generate,
                   greedy_generate_batch, greedy_generate_cached, query_vector, splice_memory,
                   straight_through_score_gradient, straight_through_topk)
from decoder import DecoderModel, LoraAdapter, hf_positions
from fixture_util import FIXTURES, assert_close, print_written, sequence_hidden
from base_fixtures import write_reference
from hf_files import write_json
from model_files import load_adapter, load_model
from random_models import BOS, EOS, AdapterSpec, ModelSpec, check_round_trip, write_model_directory

ADAPTERS = tuple(AdapterSpec(name, r=4, lora_alpha=8)
                 for name in ("encoder_adapter", "query_reasoner_adapter", "decoder_adapter"))
DOC_MAX_LENGTH = 12
COMPRESSION_RATE = 4
N_MEM = DOC_MAX_LENGTH // COMPRESSION_RATE
TOP_K = 2
TEMPERATURE = 0.02
DOC_LENGTHS = (3, 8, 12, 15, 20)   # shorter than, equal to and longer than doc_max_length
QUESTION_LENGTHS = (6, 3)          # the single question, and the second question of the batch
INSTRUCTION_IDS = (5, 17, 42)      # fixed "instruction" ids after <s>
TAIL_IDS = (11, 29)                # fixed ids after the question (a stand-in for [/INST])
MAX_NEW_TOKENS = 8
# A generated token must win by this much so that an fp32 engine cannot flip the greedy choice,
# and each of the k best scores must beat the next by this much so the top-k order is unambiguous.
MIN_GREEDY_MARGIN = 1e-3
MIN_SCORE_GAP = 1e-4
QUESTION_SEARCH_LIMIT = 500


@dataclass(frozen=True)
class ClaraSpec:
    name: str
    base: ModelSpec          # vocab_size already includes the added tokens
    base_vocab: int          # ids below this are ordinary tokens
    distinct_mem_tokens: bool

    def clara_config(self) -> ClaraConfig:
        """Added tokens in the reference tokenizer's order: memory token(s), <AE>, <ENC>, <SEP>, then <PAD>."""
        next_id = self.base_vocab
        if self.distinct_mem_tokens:
            mem_ids = tuple(range(next_id, next_id + N_MEM))
            next_id += N_MEM
        else:
            mem_ids = (next_id,) * N_MEM
            next_id += 1
        ae, enc, sep, pad = range(next_id, next_id + 4)
        if pad + 1 != self.base.vocab_size:
            raise ValueError(f"{self.name}: vocab_size must be {pad + 1}")
        return ClaraConfig(doc_max_length=DOC_MAX_LENGTH, compression_rate=COMPRESSION_RATE, mem_token_ids=mem_ids,
                           enc_token_id=enc, sep_token_id=sep, ae_token_id=ae, pad_token_id=pad,
                           bos_token_id=BOS, eos_token_id=EOS, top_k=TOP_K, temperature=TEMPERATURE)


CLARA_MODELS = (
    ClaraSpec("clara-distinct",
              ModelSpec("clara-distinct", "mistral", hidden_size=37, intermediate_size=75, num_hidden_layers=2,
                        num_attention_heads=4, num_key_value_heads=2, head_dim=10, vocab_size=131 + N_MEM + 4,
                        rope_theta=1e6, rms_norm_eps=1e-5, tie_word_embeddings=False,
                        storage_dtype=torch.float32, shards=1, seed=2001, adapters=ADAPTERS,
                        pad_token_id=131 + N_MEM + 3, eos_logit_scale=1.5),
              base_vocab=131, distinct_mem_tokens=True),
    ClaraSpec("clara-repeated",
              ModelSpec("clara-repeated", "mistral", hidden_size=48, intermediate_size=96, num_hidden_layers=2,
                        num_attention_heads=6, num_key_value_heads=2, head_dim=8, vocab_size=100 + 1 + 4,
                        rope_theta=1e6, rms_norm_eps=1e-5, tie_word_embeddings=False,
                        storage_dtype=torch.float32, shards=1, seed=2002, adapters=ADAPTERS,
                        pad_token_id=100 + 1 + 3, eos_logit_scale=0.9),
              base_vocab=100, distinct_mem_tokens=False),
)


@dataclass
class ClaraModels:
    model: DecoderModel
    encoder: LoraAdapter
    query_reasoner: LoraAdapter
    decoder: LoraAdapter
    config: ClaraConfig

    @staticmethod
    def load(directory: Path) -> "ClaraModels":
        adapters = directory / "adapters"
        return ClaraModels(load_model(directory), load_adapter(adapters / "encoder_adapter"),
                           load_adapter(adapters / "query_reasoner_adapter"),
                           load_adapter(adapters / "decoder_adapter"), ClaraConfig.load(directory / "clara.json"))


def padded_rows(rows: Sequence[Sequence[int]], fill: int) -> torch.Tensor:
    width = max(len(r) for r in rows)
    return torch.tensor([list(r) + [fill] * (width - len(r)) for r in rows], dtype=torch.long)


def generator_prompt(question: Sequence[int], cfg: ClaraConfig) -> List[int]:
    slot = list(cfg.mem_token_ids) + [cfg.sep_token_id]
    return [cfg.bos_token_id, *INSTRUCTION_IDS, *(slot * cfg.top_k), *question, *TAIL_IDS]


# ----------------------------------------------------------------------------------------------
# Self-checks
# ----------------------------------------------------------------------------------------------

def check_padding_is_invisible(clara: ClaraModels, ids: torch.Tensor, mask: torch.Tensor, memory: torch.Tensor
                               ) -> None:
    """Each document's memory equals its unpadded tokens run alone at the same positions."""
    model = clara.model
    for row in range(ids.shape[0]):
        first = int((mask[row] == 0).sum())
        real = ids[row, first:]
        positions = torch.arange(first, ids.shape[1])[None]
        hidden = model.forward(model.embed(real)[None], positions, torch.ones(1, real.shape[0], dtype=torch.long),
                               clara.encoder)[0]
        assert_close(hidden[-clara.config.n_mem:], memory[row], f"document {row}: padded vs unpadded memory")


def check_cached_generation(clara: ClaraModels, embeds: torch.Tensor, generation: Generation) -> None:
    """KV-cache decoding gives the same tokens, and its first step equals the full-prompt logits."""
    tokens, step_logits = greedy_generate_cached(clara.model, clara.decoder, embeds, MAX_NEW_TOKENS,
                                                 clara.config.eos_token_id)
    if tokens != generation.tokens:
        raise AssertionError(f"KV-cache generation {tokens} != recomputed generation {generation.tokens}")
    full = clara.model.logits(sequence_hidden(clara.model, embeds, clara.decoder))
    assert_close(step_logits[0], full[-1], "cached prefill vs full forward")


def check_straight_through(scores: torch.Tensor, upstream: torch.Tensor, weights: torch.Tensor,
                           gradient: torch.Tensor, topk_hard: torch.Tensor) -> None:
    if not torch.equal(weights, topk_hard):
        raise AssertionError("straight-through forward value is not exactly the hard selection")
    analytic = straight_through_score_gradient(straight_through_topk(scores, TOP_K, TEMPERATURE),
                                               upstream, TEMPERATURE)
    assert_close(gradient, analytic, "autograd vs closed-form straight-through gradient", atol=1e-4)
    if gradient.abs().max() < 1e-2:
        raise AssertionError("straight-through gradient is too small to test anything")


# ----------------------------------------------------------------------------------------------
# Reference
# ----------------------------------------------------------------------------------------------

@dataclass
class QuestionRun:
    """Everything computed for one question against the fixed documents."""
    ids: List[int]
    enc_ids: torch.Tensor
    enc_mask: torch.Tensor
    query: torch.Tensor
    scores: torch.Tensor
    topk: torch.Tensor
    prompt: List[int]
    embeds: torch.Tensor
    generation: Generation

    def problems(self) -> List[str]:
        """Why this question would make a fragile fixture (empty when it is fine)."""
        found = []
        ranked = torch.sort(self.scores, descending=True).values
        gap = (ranked[:TOP_K] - ranked[1:TOP_K + 1]).min().item()
        if gap < MIN_SCORE_GAP:
            found.append(f"score gap within the top k+1 {gap:.2e}")
        if min(self.generation.margins) < MIN_GREEDY_MARGIN:
            found.append(f"greedy margin {min(self.generation.margins):.2e}")
        return found


def run_question(clara: ClaraModels, question: List[int], memory: torch.Tensor) -> QuestionRun:
    cfg = clara.config
    enc_ids, enc_mask = encoder_inputs([question], cfg)
    query = query_vector(clara.model, clara.query_reasoner, enc_ids, enc_mask, cfg)[0]
    scores = cosine_scores(query, memory)
    selection = straight_through_topk(scores, cfg.top_k, cfg.temperature)
    selected = torch.einsum("kn,nmh->kmh", selection.weights, memory)
    assert_close(selected, memory[selection.indices], "W-weighted memory vs gathered memory", atol=0.0)
    prompt = generator_prompt(question, cfg)
    embeds = splice_memory(clara.model, torch.tensor(prompt), selected, cfg)
    generation = greedy_generate(clara.model, clara.decoder, embeds, MAX_NEW_TOKENS, cfg.eos_token_id)
    return QuestionRun(question, enc_ids[0], enc_mask[0], query, scores, selection.indices, prompt, embeds,
                       generation)


def choose_questions(clara: ClaraModels, base_vocab: int, memory: torch.Tensor, gen: torch.Generator
                     ) -> Tuple[QuestionRun, QuestionRun]:
    """Draws question pairs until both are robust, they select different documents, and one answer
    stops at </s> after at least one other token while the other runs to MAX_NEW_TOKENS (so the
    batch exercises per-row stopping)."""
    eos = clara.config.eos_token_id
    for attempt in range(QUESTION_SEARCH_LIMIT):
        runs = [run_question(clara, torch.randint(3, base_vocab, (n,), generator=gen).tolist(), memory)
                for n in QUESTION_LENGTHS]
        if any(run.problems() for run in runs) or torch.equal(runs[0].topk, runs[1].topk):
            continue
        answers = [run.generation.tokens for run in runs]
        stops_early = [len(a) >= 2 and a[-1] == eos for a in answers]
        runs_to_limit = [len(a) == MAX_NEW_TOKENS and eos not in a for a in answers]
        if (stops_early[0] and runs_to_limit[1]) or (stops_early[1] and runs_to_limit[0]):
            print(f"  questions chosen after {attempt + 1} draws")
            return runs[0], runs[1]
    raise RuntimeError("no robust question pair found; change the seed or the search limit")


def batch_reference(clara: ClaraModels, runs: Sequence[QuestionRun]) -> Dict[str, torch.Tensor]:
    """The questions' spliced prompts left-padded into one batch and decoded together."""
    cfg = clara.config
    width = max(len(run.prompt) for run in runs)
    pads = [width - len(run.prompt) for run in runs]
    prompts = torch.tensor([[cfg.pad_token_id] * pad + run.prompt for pad, run in zip(pads, runs)])
    mask = (torch.arange(width)[None, :] >= torch.tensor(pads)[:, None]).long()
    embeds = torch.stack([torch.cat([clara.model.embed(prompts[row, :pad]), run.embeds])
                          for row, (pad, run) in enumerate(zip(pads, runs))])
    answers = greedy_generate_batch(clara.model, clara.decoder, embeds, mask, MAX_NEW_TOKENS, cfg.eos_token_id,
                                    cfg.pad_token_id)
    for row, run in enumerate(runs):
        if answers[row] != run.generation.tokens:
            raise AssertionError(f"batch row {row} answer {answers[row]} != alone {run.generation.tokens}")
    logits = clara.model.logits(clara.model.forward(embeds, hf_positions(mask), mask, clara.decoder))
    print(f"  batch answers {answers}")
    return {
        "batch.question.ids": padded_rows([run.ids for run in runs], -1).int(),
        "batch.prompt.ids": prompts.int(),
        "batch.prompt.mask": mask.int(),
        "batch.prompt.positions": hf_positions(mask).int(),
        "batch.topk": torch.stack([run.topk for run in runs]).long(),
        "batch.gen.logits": logits,
        "batch.answer.ids": padded_rows([a + [-1] * (MAX_NEW_TOKENS - len(a)) for a in answers], -1).int(),
    }


def straight_through_reference(gen: torch.Generator) -> Dict[str, torch.Tensor]:
    """Scores spread by about tau, so that the soft part P, hence the gradient, is far from one-hot."""
    scores = 0.5 + 0.03 * torch.randn(len(DOC_LENGTHS), generator=gen)
    upstream = torch.randn(TOP_K, len(DOC_LENGTHS), generator=gen)
    leaf = scores.clone().requires_grad_(True)
    selection = straight_through_topk(leaf, TOP_K, TEMPERATURE)
    (selection.weights * upstream).sum().backward()
    check_straight_through(scores, upstream, selection.weights.detach(), leaf.grad, selection.hard)
    return {
        "st.scores": scores,
        "st.G": upstream,
        "st.W": selection.weights.detach(),
        "st.P": selection.soft.detach(),
        "st.topk": selection.indices.long(),
        "st.grad_scores": leaf.grad.detach(),
    }


def clara_reference(spec: ClaraSpec, directory: Path, gen: torch.Generator) -> Dict[str, torch.Tensor]:
    clara = ClaraModels.load(directory)
    cfg = clara.config
    docs = [torch.randint(3, spec.base_vocab, (n,), generator=gen).tolist() for n in DOC_LENGTHS]
    enc_ids, enc_mask = encoder_inputs(docs, cfg)
    memory, mse = compress(clara.model, clara.encoder, enc_ids, enc_mask, cfg)
    check_padding_is_invisible(clara, enc_ids, enc_mask, memory)

    single, second = choose_questions(clara, spec.base_vocab, memory, gen)
    check_cached_generation(clara, single.embeds, single.generation)
    gen_logits = clara.model.logits(sequence_hidden(clara.model, single.embeds, clara.decoder))
    print(f"  mse {[round(v, 5) for v in mse.tolist()]}  scores {[round(v, 5) for v in single.scores.tolist()]}")
    print(f"  topk {single.topk.tolist()}  answer {single.generation.tokens}  "
          f"min greedy margin {min(min(run.generation.margins) for run in (single, second)):.3g}")
    reference = {
        "docs.ids": padded_rows(docs, -1).int(),
        "docs.lengths": torch.tensor(DOC_LENGTHS, dtype=torch.int32),
        "enc.input_ids": enc_ids.int(),
        "enc.mask": enc_mask.int(),
        "memory": memory,
        "mse": mse,
        "question.ids": torch.tensor(single.ids, dtype=torch.int32),
        "query.input_ids": single.enc_ids.int(),
        "query.mask": single.enc_mask.int(),
        "query": single.query,
        "scores": single.scores,
        "topk": single.topk.long(),
        "prompt.ids": torch.tensor(single.prompt, dtype=torch.int32),
        "gen.inputs_embeds": single.embeds,
        "gen.logits": gen_logits,
        "answer.ids": torch.tensor(single.generation.tokens, dtype=torch.int32),
    }
    reference.update(batch_reference(clara, (single, second)))
    reference.update(straight_through_reference(gen))
    return reference


def make_clara_models() -> None:
    for spec in CLARA_MODELS:
        directory = FIXTURES / "clara" / spec.name
        write_model_directory(directory, spec.base, torch.Generator().manual_seed(spec.base.seed))
        write_json(directory / "clara.json", spec.clara_config().to_json())
        check_round_trip(spec.base, directory, spec.base.seed)
        print(f"{spec.name}:")
        reference = clara_reference(spec, directory, torch.Generator().manual_seed(spec.base.seed + 500))
        print_written(directory)
        print_written(write_reference(spec.name, reference))
