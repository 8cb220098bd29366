"""Autograd references for `clara grad` and the engine's training graphs (spec section 6 losses, section 9 contract).

For each tiny CLaRa fixture (distinct and repeated memory tokens) and each stage (lm, scp, instruct, e2e, rank,
rank-joint: stage rank with the compressor trained too, and scp-rank) this writes
under tests/fixtures/grad/<model>/ (and stage lm of the tied-embedding model llama-gqa1):
  <stage>.jsonl          one pre-tokenized example per line (the batch), in the field names `clara grad` reads;
  <stage>.safetensors    `loss` F32 [1] and the gradient of every trainable tensor, named `<adapter>/<PEFT name>`
                         (HF names for the base weights of stage lm), all from torch.autograd in float64 (the
                         weights upcast exactly), stored as F32: the reference carries no float32 rounding of its own,
                         which on the rank stages alone was 3-6e-6 (and varied with the BLAS) against a 1e-5 tolerance.
The forward is the oracle's own (decoder.py, clara.py), written independently of the engine.

Run: /usr/bin/python3 tests/oracle/grad_fixtures.py [--only STAGE]   (--only: write that stage's files alone)
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Dict, List, Sequence, Tuple

import torch
import torch.nn.functional as F

import decoder
from clara import ClaraConfig, compress, cosine_scores, encoder_inputs, memory_slot_starts, query_vector, straight_through_topk
from decoder import DecoderModel, LoraAdapter, hf_positions
from fixture_util import FIXTURES, print_written
from hf_files import PEFT_PREFIX
from model_files import load_adapter, load_model
from safetensors_io import write_safetensors

OUT = FIXTURES / "grad"
INSTRUCTION_IDS = (5, 17, 42)
TAIL_IDS = (11, 29)
K = 2
ALIGNMENT_WEIGHT = 1.0
RANK_WEIGHT = 1.0
# Enough spread of the soft top-k that the query reasoner's gradient is far from zero, and a clear margin between
# the k-th and (k+1)-th score so the fp32 engine picks the same documents.
MIN_SOFT_ENTROPY_MASS = 0.02
MIN_SCORE_GAP = 1e-4
SEARCH_LIMIT = 2000


class Clara:
    def __init__(self, directory: Path):
        self.model: DecoderModel = load_model(directory)
        adapters = directory / "adapters"
        self.encoder = load_adapter(adapters / "encoder_adapter")
        self.query = load_adapter(adapters / "query_reasoner_adapter")
        self.decoder = load_adapter(adapters / "decoder_adapter")
        self.cfg = ClaraConfig.load(directory / "clara.json")


def trainable(adapter: LoraAdapter, name: str, leaves: Dict[str, torch.Tensor]) -> LoraAdapter:
    """Makes every A/B of `adapter` a leaf that requires grad, recorded under `<name>/<PEFT name>`."""
    for module, (a, b) in adapter.pairs.items():
        a.requires_grad_(True)
        b.requires_grad_(True)
        leaves[f"{name}/{PEFT_PREFIX}{module}.lora_A.weight"] = a
        leaves[f"{name}/{PEFT_PREFIX}{module}.lora_B.weight"] = b
    return adapter


def prompt_with_slots(question: Sequence[int], cfg: ClaraConfig, k: int) -> List[int]:
    slot = list(cfg.mem_token_ids) + [cfg.sep_token_id]
    return [cfg.bos_token_id, *INSTRUCTION_IDS, *(slot * k), *question, *TAIL_IDS]


def generator_loss(model: DecoderModel, adapter: LoraAdapter, prompts: Sequence[Sequence[int]],
                   answers: Sequence[Sequence[int]], memories: Sequence[torch.Tensor], cfg: ClaraConfig) -> torch.Tensor:
    """Mean CE over every answer token of the batch: rows prompt+answer, left-padded, positions from the first real
    token (HF generate); slot j of row b receives memories[b][j] ([k, n_mem, H]); answer token i is predicted from the
    row before it."""
    width = max(len(p) + len(a) for p, a in zip(prompts, answers))
    rows, pads = [], []
    for p, a in zip(prompts, answers):
        pad = width - len(p) - len(a)
        pads.append(pad)
        rows.append([cfg.pad_token_id] * pad + list(p) + list(a))
    ids = torch.tensor(rows)
    mask = (torch.arange(width)[None, :] >= torch.tensor(pads)[:, None]).long()
    embeds = model.embed(ids)
    for b, (prompt, memory) in enumerate(zip(prompts, memories)):
        for j, start in enumerate(memory_slot_starts(prompt, cfg)):
            index = torch.arange(pads[b] + start, pads[b] + start + cfg.n_mem)
            embeds = embeds.index_put((torch.full_like(index, b), index), memory[j])
    hidden = model.forward(embeds, hf_positions(mask), mask, adapter)
    logits, targets = [], []
    for b, (p, a) in enumerate(zip(prompts, answers)):
        for i, token in enumerate(a):
            logits.append(model.logits(hidden[b, pads[b] + len(p) + i - 1]))
            targets.append(token)
    return F.cross_entropy(torch.stack(logits), torch.tensor(targets))


def random_ids(n: int, vocab: int, gen: torch.Generator) -> List[int]:
    return torch.randint(3, vocab, (n,), generator=gen).tolist()


# ----------------------------------------------------------------------------------------------
# The four stages: each returns (jsonl lines, loss, leaves)
# ----------------------------------------------------------------------------------------------

def lm_stage(directory: Path, vocab: int, gen: torch.Generator):
    texts = [random_ids(n, vocab, gen) for n in (9, 5)]
    loss, leaves = next_token_loss(directory, texts, [1] * len(texts))
    return [{"ids": t} for t in texts], loss, leaves


def lm_completion_stage(directory: Path, vocab: int, gen: torch.Generator):
    """Stage lm with prompt/completion lines: the loss covers the completion tokens only."""
    pairs = [(random_ids(p, vocab, gen), random_ids(c, vocab, gen)) for p, c in ((4, 5), (6, 2))]
    loss, leaves = next_token_loss(directory, [p + c for p, c in pairs], [len(p) for p, _ in pairs])
    return [{"prompt_ids": p, "completion_ids": c} for p, c in pairs], loss, leaves


def next_token_loss(directory: Path, texts: list, loss_from: list):
    """Mean next-token CE over the tokens of each (left-padded) text from its loss_from on; every weight a leaf."""
    model = load_model(directory)
    leaves = {}
    for name, weight in model.weights.items():
        weight.requires_grad_(True)
        leaves[name] = weight
    batch = len(texts)
    width = max(len(t) for t in texts)
    pads = [width - len(t) for t in texts]
    ids = torch.tensor([[0] * p + t for p, t in zip(pads, texts)])
    mask = (torch.arange(width)[None, :] >= torch.tensor(pads)[:, None]).long()
    hidden = model.forward(model.embed(ids), hf_positions(mask), mask)
    logits = torch.stack([model.logits(hidden[b, pads[b] + i - 1]) for b in range(batch) for i in range(loss_from[b], len(texts[b]))])
    targets = torch.tensor([t for b, text in enumerate(texts) for t in text[loss_from[b]:]])
    return F.cross_entropy(logits, targets), leaves


def scp_stage(clara: Clara, vocab: int, gen: torch.Generator):
    leaves = {}
    encoder = trainable(clara.encoder, "encoder_adapter", leaves)
    decoder = trainable(clara.decoder, "decoder_adapter", leaves)
    cfg = clara.cfg
    docs = [random_ids(n, vocab, gen) for n in (7, 15)]            # the second is cut at doc_max_length
    prompts = [prompt_with_slots(random_ids(n, vocab, gen), cfg, 1) for n in (4, 2)]
    targets = [random_ids(n, vocab, gen) for n in (3, 5)]
    ids, mask = encoder_inputs(docs, cfg)
    memory, mse = compress(clara.model, encoder, ids, mask, cfg)
    ce = generator_loss(clara.model, decoder, prompts, targets, [m[None] for m in memory], cfg)
    loss = ce + ALIGNMENT_WEIGHT * mse.mean()
    lines = [{"doc_ids": d, "prompt_ids": p, "target_ids": t} for d, p, t in zip(docs, prompts, targets)]
    return lines, loss, leaves


def instruct_stage(clara: Clara, vocab: int, gen: torch.Generator):
    leaves = {}
    decoder = trainable(clara.decoder, "decoder_adapter", leaves)
    cfg = clara.cfg
    docs = [[random_ids(n, vocab, gen) for n in (4, 15)], [random_ids(n, vocab, gen) for n in (12, 2)]]
    prompts = [prompt_with_slots(random_ids(n, vocab, gen), cfg, K) for n in (3, 6)]
    answers = [random_ids(n, vocab, gen) for n in (4, 2)]
    memories = []
    with torch.no_grad():
        for example in docs:
            ids, mask = encoder_inputs(example, cfg)
            memories.append(compress(clara.model, clara.encoder, ids, mask, cfg)[0])
    loss = generator_loss(clara.model, decoder, prompts, answers, memories, cfg)
    lines = [{"docs": d, "prompt_ids": p, "answer_ids": a} for d, p, a in zip(docs, prompts, answers)]
    return lines, loss, leaves


def e2e_example(clara: Clara, vocab: int, gen: torch.Generator, n_docs: int, question_length: int):
    """Draws a question and candidates until the soft top-k is spread (a real gradient reaches the query reasoner)
    and the hard picks are unambiguous."""
    cfg = clara.cfg
    for _ in range(SEARCH_LIMIT):
        question = random_ids(question_length, vocab, gen)
        docs = [random_ids(int(n), vocab, gen) for n in torch.randint(1, 16, (n_docs,), generator=gen)]
        with torch.no_grad():
            ids, mask = encoder_inputs(docs, cfg)
            memory = compress(clara.model, clara.encoder, ids, mask, cfg)[0]
            q_ids, q_mask = encoder_inputs([question], cfg)
            scores = cosine_scores(query_vector(clara.model, clara.query, q_ids, q_mask, cfg)[0], memory)
        ranked = torch.sort(scores, descending=True).values
        gap = (ranked[:K] - ranked[1:K + 1]).min().item()
        soft = straight_through_topk(scores, K, cfg.temperature).soft
        spread = (1 - soft.max(dim=-1).values).min().item()
        if gap >= MIN_SCORE_GAP and spread >= MIN_SOFT_ENTROPY_MASS and any(len(d) > cfg.doc_max_length for d in docs):
            return question, docs, memory
    raise RuntimeError("no e2e example with a spread soft top-k found; change the seed")


def e2e_stage(clara: Clara, vocab: int, gen: torch.Generator):
    leaves = {}
    query_adapter = trainable(clara.query, "query_reasoner_adapter", leaves)
    decoder = trainable(clara.decoder, "decoder_adapter", leaves)
    cfg = clara.cfg
    examples = [e2e_example(clara, vocab, gen, n, q) for n, q in ((4, 5), (3, 2))]
    prompts = [prompt_with_slots(q, cfg, K) for q, _, _ in examples]
    answers = [random_ids(n, vocab, gen) for n in (3, 4)]
    selected, picks = [], []
    for question, docs, memory in examples:
        q_ids, q_mask = encoder_inputs([question], cfg)
        query = query_vector(clara.model, query_adapter, q_ids, q_mask, cfg)[0]
        topk = straight_through_topk(cosine_scores(query, memory), K, cfg.temperature)
        selected.append((topk.weights @ memory.reshape(memory.shape[0], -1)).reshape(K, cfg.n_mem, -1))
        picks.append(topk.indices.tolist())
    loss = generator_loss(clara.model, decoder, prompts, answers, selected, cfg)
    print(f"    e2e picks {picks}")
    lines = [{"question_ids": q, "docs": d, "prompt_ids": p, "answer_ids": a}
             for (q, d, _), p, a in zip(examples, prompts, answers)]
    return lines, loss, leaves


def rank_stage(clara: Clara, vocab: int, gen: torch.Generator, train_compressor: bool = False):
    """The query reasoner's warm start (docs/clara-spec.md section 6.5): mean over the batch of
    CE(softmax(cos(q, d_i) / tau), gold), tau the clara.json temperature; no generator. The compressor is frozen
    unless train_compressor (stage rank with --adapters query_reasoner_adapter,encoder_adapter), when its gradient
    comes through the candidates' memories."""
    leaves = {}
    query_adapter = trainable(clara.query, "query_reasoner_adapter", leaves)
    encoder = trainable(clara.encoder, "encoder_adapter", leaves) if train_compressor else clara.encoder
    cfg = clara.cfg
    losses, lines = [], []
    for n_docs, question_length, gold in ((4, 5, 2), (3, 0, 0)):
        question = random_ids(question_length, vocab, gen)
        docs = [random_ids(int(n), vocab, gen) for n in torch.randint(1, 16, (n_docs,), generator=gen)]
        docs[-1] = random_ids(cfg.doc_max_length + 4, vocab, gen)    # one truncated candidate
        with torch.set_grad_enabled(train_compressor):
            ids, mask = encoder_inputs(docs, cfg)
            memory = compress(clara.model, encoder, ids, mask, cfg)[0]
        q_ids, q_mask = encoder_inputs([question], cfg)
        scores = cosine_scores(query_vector(clara.model, query_adapter, q_ids, q_mask, cfg)[0], memory)
        losses.append(F.cross_entropy((scores / max(cfg.temperature, 1e-6))[None], torch.tensor([gold])))
        lines.append({"question_ids": question, "docs": docs, "gold": gold})
    return lines, torch.stack(losses).mean(), leaves


def scp_rank_stage(clara: Clara, vocab: int, gen: torch.Generator):
    """docs/clara-spec.md section 6.6: every candidate compressed with the trainable compressor, the question ranked
    among them (section 6.5's CE at the gold), and the gold's memory in the prompt's one slot for the generator:
    L = CE(answers) + lambda * mean alignment loss over all candidates + mu * mean rank CE."""
    leaves = {}
    encoder = trainable(clara.encoder, "encoder_adapter", leaves)
    query_adapter = trainable(clara.query, "query_reasoner_adapter", leaves)
    decoder = trainable(clara.decoder, "decoder_adapter", leaves)
    cfg = clara.cfg
    rank_losses, mses, gold_memories, prompts, answers, lines = [], [], [], [], [], []
    for n_docs, question_length, gold, prompt_length, answer_length in ((4, 5, 2, 4, 3), (3, 0, 0, 2, 4)):
        question = random_ids(question_length, vocab, gen)
        docs = [random_ids(int(n), vocab, gen) for n in torch.randint(1, 16, (n_docs,), generator=gen)]
        docs[-1] = random_ids(cfg.doc_max_length + 4, vocab, gen)    # one truncated candidate
        prompt = prompt_with_slots(random_ids(prompt_length, vocab, gen), cfg, 1)
        answer = random_ids(answer_length, vocab, gen)
        ids, mask = encoder_inputs(docs, cfg)
        memory, mse = compress(clara.model, encoder, ids, mask, cfg)
        q_ids, q_mask = encoder_inputs([question], cfg)
        scores = cosine_scores(query_vector(clara.model, query_adapter, q_ids, q_mask, cfg)[0], memory)
        rank_losses.append(F.cross_entropy((scores / max(cfg.temperature, 1e-6))[None], torch.tensor([gold])))
        mses.append(mse)
        gold_memories.append(memory[gold][None])
        prompts.append(prompt)
        answers.append(answer)
        lines.append({"question_ids": question, "docs": docs, "gold": gold, "prompt_ids": prompt, "answer_ids": answer})
    ce = generator_loss(clara.model, decoder, prompts, answers, gold_memories, cfg)
    loss = ce + ALIGNMENT_WEIGHT * torch.cat(mses).mean() + RANK_WEIGHT * torch.stack(rank_losses).mean()
    return lines, loss, leaves


def gradients(loss: torch.Tensor, leaves: Dict[str, torch.Tensor]) -> Dict[str, torch.Tensor]:
    names = sorted(leaves)
    grads = torch.autograd.grad(loss, [leaves[n] for n in names], allow_unused=True)
    tensors = {"loss": loss.detach().reshape(1)}
    for name, grad in zip(names, grads):
        tensors[name] = (grad if grad is not None else torch.zeros_like(leaves[name])).detach().contiguous()
    return tensors


def in_dtype(dtype: torch.dtype, build):
    """Runs a stage builder with every forward computed in `dtype`; its batch depends on the seed alone."""
    previous, decoder.COMPUTE = decoder.COMPUTE, dtype
    try:
        lines, loss, leaves = build()
        return lines, loss, gradients(loss, leaves)
    finally:
        decoder.COMPUTE = previous


def worst_error(approx: Dict[str, torch.Tensor], exact: Dict[str, torch.Tensor]) -> float:
    """max over tensors of max |approx - exact| / max |exact|: the engine's tests measure the same way."""
    return max(((approx[n].double() - exact[n]).abs().max() / exact[n].abs().max().clamp_min(1e-300)).item() for n in exact)


def write_stage(directory: Path, stage: str, build) -> None:
    """`build` makes the stage's (lines, loss, leaves); it runs in float64 for the reference, and in float32 to
    record how far PyTorch's own float32 autograd lands from it (metadata fp32_autograd_error): the engine's tests
    allow a stage whose gradients are that ill-conditioned a few times that error, never less than 1e-5."""
    lines, loss, exact = in_dtype(torch.float64, build)
    lines32, _, approx = in_dtype(torch.float32, build)
    if lines32 != lines:
        raise AssertionError(f"{stage}: the float32 run drew another batch")
    fp32_error = worst_error(approx, exact)
    names = sorted(n for n in exact if n != "loss")
    tensors = {n: t.float().contiguous() for n, t in exact.items()}
    bad = [n for n, t in tensors.items() if not torch.isfinite(t).all()]
    if bad:
        raise AssertionError(f"{stage}: non-finite gradients {bad[:3]}")
    if stage in ("e2e", "rank", "rank-joint", "scp-rank"):
        norm = max(tensors[n].abs().max().item() for n in names if n.startswith("query_reasoner_adapter/"))
        if norm < 1e-6:
            raise AssertionError(f"{stage}: the query reasoner's gradient is {norm:.2e}; nothing would be tested")
    if stage in ("rank-joint", "scp-rank"):
        norm = max(tensors[n].abs().max().item() for n in names if n.startswith("encoder_adapter/"))
        if norm < 1e-6:
            raise AssertionError(f"{stage}: the compressor's gradient is {norm:.2e}; nothing would be tested")
    directory.mkdir(parents=True, exist_ok=True)
    (directory / f"{stage}.jsonl").write_text("".join(json.dumps(line) + "\n" for line in lines))
    write_safetensors(directory / f"{stage}.safetensors", tensors,
                      {"generator": "tests/oracle/grad_fixtures.py", "torch": torch.__version__, "compute": "float64",
                       "fp32_autograd_error": f"{fp32_error:.3e}"})
    print(f"  {stage}: loss {loss.item():.6f}, {len(names)} gradients, PyTorch float32 autograd off by {fp32_error:.2e}")


MODELS = (("clara-distinct", 131), ("clara-repeated", 100))
# Stage lm also on a plain model whose lm_head is the embedding (both uses add into one gradient).
TIED_MODEL = ("llama-gqa1", 97)


CLARA_STAGES = ("lm", "scp", "instruct", "e2e", "rank", "rank-joint", "scp-rank")


def main(only: str | None) -> None:
    for index, (name, vocab) in enumerate(MODELS):
        source = FIXTURES / "clara" / name
        out = OUT / name
        print(name)
        for offset, stage in enumerate(CLARA_STAGES):
            if only is not None and stage != only:
                continue
            # rank-joint draws rank's batch (its seed), so its query-reasoner gradients are rank's and only the
            # compressor's are new.
            seed = 7000 + 10 * index + (4 if stage == "rank-joint" else 5 if stage == "scp-rank" else offset)
            if stage == "lm":
                build = lambda: lm_stage(source, vocab, torch.Generator().manual_seed(seed))
            elif stage == "rank-joint":
                build = lambda: rank_stage(Clara(source), vocab, torch.Generator().manual_seed(seed), train_compressor=True)
            else:
                function = {"scp": scp_stage, "instruct": instruct_stage, "e2e": e2e_stage, "rank": rank_stage,
                            "scp-rank": scp_rank_stage}[stage]
                build = lambda: function(Clara(source), vocab, torch.Generator().manual_seed(seed))
            write_stage(out, stage, build)
        print_written(out)
    if only is not None and only not in ("lm", "lm-completion"):
        return
    name, vocab = TIED_MODEL
    print(name)
    out = OUT / name
    write_stage(out, "lm", lambda: lm_stage(FIXTURES / "models" / name, vocab, torch.Generator().manual_seed(7100)))
    write_stage(out, "lm-completion",
                lambda: lm_completion_stage(FIXTURES / "models" / name, vocab, torch.Generator().manual_seed(7200)))
    print_written(out)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", choices=CLARA_STAGES + ("lm-completion",), help="write this stage's fixtures alone")
    torch.set_num_threads(1)
    main(parser.parse_args().only)
