"""The clara-text fixture: a CLaRa directory with a real tokenizer, and reference values computed from English text.

The other CLaRa fixtures start from token ids. This one starts from text, as a user of the engine does: its
vocabulary is exactly the SentencePiece fixture's (tests/fixtures/tokenizers/spm, 512 pieces then CLaRa's eight
added tokens), whose files are copied into the directory, and the documents, the question and the chat-template
generator prompt are tokenized by Google's sentencepiece with make_tokenizer_fixtures.py's rules (the Hugging Face
"legacy" split on added tokens). The prompt is the reference's: the whole chat turn rendered as one string, then
tokenized, so the question shares its text stretch with the "Question:" header and " [/INST]".
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Dict, List, Tuple

import sentencepiece as spm
import torch

import make_tokenizer_fixtures as tokenizer_oracle
from base_fixtures import write_reference
from clara import (ClaraConfig, Generation, compress, cosine_scores, encoder_inputs, greedy_generate,
                   greedy_generate_cached, query_vector, splice_memory, straight_through_topk)
from clara_fixtures import ADAPTERS, MIN_GREEDY_MARGIN, MIN_SCORE_GAP, ClaraModels, check_padding_is_invisible, \
    padded_rows
from fixture_util import FIXTURES, print_written
from hf_files import write_json
from random_models import BOS, EOS, ModelSpec, check_round_trip, write_model_directory

NAME = "clara-text"
TOKENIZER_DIRECTORY = FIXTURES / "tokenizers" / "spm"
TOKENIZER_FILES = ("tokenizer.model", "tokenizer_config.json", "special_tokens_map.json")

# Document i is stored as "doc-i" by the C# tests, so the store's ordinal order is this order. The third is longer
# than doc_max_length tokens, so the encoder truncates it (and drops its </s>).
DOCUMENTS = (
    "Paris is the capital of France.",
    "Mount Everest is the tallest mountain in the world.",
    "The novel was written by an author from London.",
    "Berlin is the capital of Germany.",
    "The river flows through the city.",
)
QUESTION = "What is the capital of France?"
DOC_MAX_LENGTH = 16
COMPRESSION_RATE = 4
TOP_K = 2
TEMPERATURE = 0.02
MAX_NEW_TOKENS = 12
MIN_ANSWER_TOKENS = 2   # before </s>, so the decoded answer is a real string

# Seed and </s> scale picked by trying a few: the first pair that passes every robustness check below.
SEED = 3038
EOS_LOGIT_SCALE = 2.0


def load_tokenizer() -> spm.SentencePieceProcessor:
    return spm.SentencePieceProcessor(model_file=str(TOKENIZER_DIRECTORY / "tokenizer.model"))


def added_token_ids(sp: spm.SentencePieceProcessor) -> Dict[str, int]:
    """The added tokens as tokenizer_config.json lists them; they must follow the pieces in ADDED's order."""
    config = json.loads((TOKENIZER_DIRECTORY / "tokenizer_config.json").read_text())
    listed = {entry["content"]: int(i) for i, entry in config["added_tokens_decoder"].items()
              if entry["content"] in tokenizer_oracle.ADDED}
    expected = tokenizer_oracle.added_ids(sp)
    if listed != expected:
        raise AssertionError(f"tokenizer_config.json added tokens {listed} != {expected}")
    return expected


def clara_config(sp: spm.SentencePieceProcessor) -> ClaraConfig:
    added = added_token_ids(sp)
    if (sp.bos_id(), sp.eos_id()) != (BOS, EOS):
        raise AssertionError(f"tokenizer bos/eos {sp.bos_id()}/{sp.eos_id()} != the models' {BOS}/{EOS}")
    return ClaraConfig(doc_max_length=DOC_MAX_LENGTH, compression_rate=COMPRESSION_RATE,
                       mem_token_ids=tuple(added[f"<MEM{i}>"] for i in range(DOC_MAX_LENGTH // COMPRESSION_RATE)),
                       enc_token_id=added["<ENC>"], sep_token_id=added["<SEP>"], ae_token_id=added["<AE>"],
                       pad_token_id=added["<PAD>"], bos_token_id=BOS, eos_token_id=EOS, top_k=TOP_K,
                       temperature=TEMPERATURE)


def model_spec(sp: spm.SentencePieceProcessor) -> ModelSpec:
    vocab = sp.get_piece_size() + len(tokenizer_oracle.ADDED)
    unreadable = [i for i in range(sp.get_piece_size()) if sp.is_byte(i) or sp.is_control(i) or sp.is_unknown(i)]
    muted = tuple(i for i in unreadable if i != EOS) + tuple(range(sp.get_piece_size(), vocab))
    return ModelSpec(NAME, "mistral", hidden_size=48, intermediate_size=96, num_hidden_layers=2,
                     num_attention_heads=4, num_key_value_heads=2, head_dim=12, vocab_size=vocab, rope_theta=1e6,
                     rms_norm_eps=1e-5, tie_word_embeddings=False, storage_dtype=torch.float32, shards=1, seed=SEED,
                     adapters=ADAPTERS, pad_token_id=added_token_ids(sp)["<PAD>"], eos_logit_scale=EOS_LOGIT_SCALE,
                     muted_token_ids=muted)


def encode(sp: spm.SentencePieceProcessor, text: str) -> List[int]:
    """Ids of `text` without BOS/EOS, added tokens recognised as make_tokenizer_fixtures.py does."""
    recognised = {**tokenizer_oracle.special_added(sp), **tokenizer_oracle.added_ids(sp)}
    return tokenizer_oracle.legacy_encode(sp, text, recognised)


def generator_prompt(sp: spm.SentencePieceProcessor, question: str, k: int) -> List[int]:
    """The reference's prompt: the Mistral user turn with the k slots, rendered as text, then tokenized."""
    return encode(sp, tokenizer_oracle.clara_prompt_text(question, k))


def separately_tokenized_prompt(sp: spm.SentencePieceProcessor, question: str, k: int) -> List[int]:
    """NOT the reference's prompt: the same turn with the question tokenized on its own and spliced in as ids
    (its own dummy prefix, " [/INST]" a stretch of its own). Only used to make sure the fixture tells it apart."""
    slots = "".join(tokenizer_oracle.ADDED[:4]) + "<SEP>"
    head = encode(sp, "<s>[INST] " + tokenizer_oracle.SYSTEM + "\nBackground:\n" + slots * k)
    return head + encode(sp, "\n\nQuestion:") + encode(sp, question) + encode(sp, " [/INST]")


# ----------------------------------------------------------------------------------------------
# Robustness: why this fixture cannot legitimately come out differently from an fp32 engine
# ----------------------------------------------------------------------------------------------

def answer_problems(sp: spm.SentencePieceProcessor, generation: Generation, scores: torch.Tensor) -> List[str]:
    found = []
    ranked = torch.sort(scores, descending=True).values
    gap = (ranked[:TOP_K] - ranked[1:TOP_K + 1]).min().item()
    if gap < MIN_SCORE_GAP:
        found.append(f"score gap within the top k+1 {gap:.2e}")
    if min(generation.margins) < MIN_GREEDY_MARGIN:
        found.append(f"greedy margin {min(generation.margins):.2e}")
    tokens = generation.tokens
    if tokens[-1] != EOS or len(tokens) - 1 < MIN_ANSWER_TOKENS:
        found.append(f"answer {tokens} does not stop at </s> after {MIN_ANSWER_TOKENS}+ tokens")
        return found
    words = tokens[:-1]
    if any(sp.is_byte(t) or sp.is_control(t) or sp.is_unknown(t) or t >= sp.get_piece_size() for t in words):
        found.append(f"answer {words} holds byte, special or added tokens")
        return found
    # A streaming client prints the decoded answer as it grows; each prefix must extend the last.
    text = sp.decode(words)
    prefixes = [sp.decode(words[:n]) for n in range(1, len(words) + 1)]
    if not text.strip() or any(not text.startswith(p) for p in prefixes):
        found.append(f"answer text {text!r} is empty or its prefixes {prefixes} do not grow left to right")
    return found


def discrimination_problems(reference: Generation, other: Generation) -> List[str]:
    """The separately tokenized prompt must give another answer, decided by a safe margin, so an engine that
    builds that prompt cannot pass."""
    differs_at = next((i for i, (a, b) in enumerate(zip(reference.tokens, other.tokens)) if a != b),
                      min(len(reference.tokens), len(other.tokens)))
    if reference.tokens == other.tokens:
        return [f"the question tokenized on its own gives the same answer {other.tokens}"]
    margin = min(other.margins[:differs_at + 1])
    if margin < MIN_GREEDY_MARGIN:
        return [f"the separately tokenized prompt's answer differs at step {differs_at} by a margin of {margin:.2e}"]
    return []


# ----------------------------------------------------------------------------------------------
# Reference
# ----------------------------------------------------------------------------------------------

def copy_tokenizer(directory: Path) -> None:
    for name in TOKENIZER_FILES:
        shutil.copyfile(TOKENIZER_DIRECTORY / name, directory / name)


def clara_text_reference(sp: spm.SentencePieceProcessor, directory: Path) -> Tuple[Dict[str, torch.Tensor], str]:
    """The reference tensors, and the answer decoded by sentencepiece."""
    clara = ClaraModels.load(directory)
    cfg = clara.config
    docs = [encode(sp, text) for text in DOCUMENTS]
    enc_ids, enc_mask = encoder_inputs(docs, cfg)
    memory, mse = compress(clara.model, clara.encoder, enc_ids, enc_mask, cfg)
    check_padding_is_invisible(clara, enc_ids, enc_mask, memory)

    question = encode(sp, QUESTION)
    q_ids, q_mask = encoder_inputs([question], cfg)
    query = query_vector(clara.model, clara.query_reasoner, q_ids, q_mask, cfg)[0]
    scores = cosine_scores(query, memory)
    topk = straight_through_topk(scores, cfg.top_k, cfg.temperature).indices
    prompt = generator_prompt(sp, QUESTION, cfg.top_k)
    embeds = splice_memory(clara.model, torch.tensor(prompt), memory[topk], cfg)
    generation = greedy_generate(clara.model, clara.decoder, embeds, MAX_NEW_TOKENS, cfg.eos_token_id)
    cached, _ = greedy_generate_cached(clara.model, clara.decoder, embeds, MAX_NEW_TOKENS, cfg.eos_token_id)
    if cached != generation.tokens:
        raise AssertionError(f"KV-cache generation {cached} != recomputed generation {generation.tokens}")

    problems = answer_problems(sp, generation, scores)
    other_prompt = separately_tokenized_prompt(sp, QUESTION, cfg.top_k)
    other_embeds = splice_memory(clara.model, torch.tensor(other_prompt), memory[topk], cfg)
    problems += discrimination_problems(generation, greedy_generate(clara.model, clara.decoder, other_embeds,
                                                                    MAX_NEW_TOKENS, cfg.eos_token_id))
    if problems:
        raise RuntimeError(f"{NAME} is fragile ({'; '.join(problems)}); change SEED or EOS_LOGIT_SCALE")
    answer_text = sp.decode(generation.tokens[:-1])
    print(f"  docs {[len(d) for d in docs]} tokens  mse {[round(v, 5) for v in mse.tolist()]}")
    print(f"  scores {[round(v, 5) for v in scores.tolist()]}  topk {topk.tolist()}")
    print(f"  prompt {len(prompt)} tokens  answer {generation.tokens} = {answer_text!r}  "
          f"min greedy margin {min(generation.margins):.3g}")
    return {
        "docs.ids": padded_rows(docs, -1).int(),
        "docs.lengths": torch.tensor([len(d) for d in docs], dtype=torch.int32),
        "enc.input_ids": enc_ids.int(),
        "enc.mask": enc_mask.int(),
        "memory": memory,
        "mse": mse,
        "question.ids": torch.tensor(question, dtype=torch.int32),
        "query.input_ids": q_ids[0].int(),
        "query.mask": q_mask[0].int(),
        "query": query,
        "scores": scores,
        "topk": topk.long(),
        "prompt.ids": torch.tensor(prompt, dtype=torch.int32),
        "answer.ids": torch.tensor(generation.tokens, dtype=torch.int32),
    }, answer_text


def make_clara_text_model() -> None:
    sp = load_tokenizer()
    spec = model_spec(sp)
    directory = FIXTURES / "clara" / NAME
    write_model_directory(directory, spec, torch.Generator().manual_seed(spec.seed))
    write_json(directory / "clara.json", clara_config(sp).to_json())
    copy_tokenizer(directory)
    check_round_trip(spec, directory, spec.seed)
    print(f"{NAME}:")
    reference, answer_text = clara_text_reference(sp, directory)
    texts = {"docs": json.dumps(list(DOCUMENTS), ensure_ascii=False), "question": QUESTION, "answer": answer_text}
    print_written(directory)
    print_written(write_reference(NAME, reference, texts))
