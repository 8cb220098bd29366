#!/usr/bin/python3
"""Generates the tokenizer fixtures under tests/fixtures/tokenizers/ from Google's sentencepiece.

Run from anywhere:  /usr/bin/python3 tests/oracle/make_tokenizer_fixtures.py
Needs Debian's python3-sentencepiece (no PyTorch, no transformers/tokenizers package).

What it writes, and why each is an independent oracle for Clara.Engine.Tokenization:
  spm/                tokenizer.model: a Llama-style SentencePiece BPE model (byte fallback, identity
                      normalisation, dummy prefix, whitespace-only pieces, split digits) trained here by
                      sentencepiece's own trainer on the fixed corpus below; tokenizer_config.json and
                      special_tokens_map.json add CLaRa's special tokens after the vocabulary.
  hf-legacy/          tokenizer.json in the layout Hugging Face's LlamaConverter writes for that model
                      (normaliser Prepend+Replace, BPE with byte_fallback, merges from the SentencePiece
                      vocabulary as SentencePieceExtractor derives them), with the same added tokens.
  hf-metaspace/       the same model with the newer layout (Metaspace pre-tokeniser, prepend_scheme "first").
  expected.json       for every case: the ids sentencepiece gives, and the text it decodes them to.

Texts with added tokens follow the Hugging Face "legacy" rule used by Mistral-7B-Instruct-v0.2: the text is
split on the added tokens (leftmost, longest first), every text segment is encoded on its own by
sentencepiece (so each gets the dummy prefix), and each added token is its single id.
Training runs single-threaded on a fixed corpus, so reruns write identical files.
"""

from __future__ import annotations

import hashlib
import io
import json
import re
import sys
from pathlib import Path

import sentencepiece as spm

OUT = Path(__file__).resolve().parent.parent / "fixtures" / "tokenizers"
VOCAB_SIZE = 512

CORPUS = """\
Retrieval augmented generation answers a question from documents found by a retriever.
A compressor turns each document into a few memory vectors, and the generator reads those vectors.
The query reasoner maps the question into the same space, so documents can be ranked by cosine similarity.
The top k documents are chosen with a straight-through estimator, so the ranking learns from the answer.
Hello world! The quick brown fox jumps over the lazy dog.
Hello there, world. How are you doing today?
Paris is the capital of France, and Berlin is the capital of Germany.
The river flows through the city in 1893, 2024 and 365 days of the year.
Mistral and Llama are decoder-only transformers with rotary position embeddings.
Each layer has attention, a feed-forward network and two normalisations.
Tokens are pieces of words; rare words fall back to bytes.
She said: "compression keeps the meaning, not the words."
What is the tallest mountain in the world? Mount Everest is the tallest mountain.
Who wrote the novel? The novel was written by an author from London.
The answer is short; the documents are long.
Memory tokens hold the compressed document, and a separator ends each slot.
Questions, answers and paraphrases train the compressor to keep what matters.
    Indented lines keep their spaces, and tabs\tstay tabs.
Numbers like 3.14159 and 2.71828 split into digits.
"""

ADDED = ["<MEM0>", "<MEM1>", "<MEM2>", "<MEM3>", "<ENC>", "<SEP>", "<AE>", "<PAD>"]

CASES = [
    "Hello world",
    "hello world",
    "The quick brown fox jumps over the lazy dog.",
    " leading space",
    "two  spaces   and three",
    "trailing space ",
    "line one\nline two",
    "tab\tseparated",
    "digits 1893 and 3.14",
    "Ünïcödé wörds: café, naïve",
    "日本語のテキスト",
    "emoji 🙂 and 𝔘",
    "compression-rate=32; top_k=5",
    "",
    "<MEM0>",
    "<MEM0><MEM1><SEP>",
    "Background: <MEM0><MEM1><MEM2><MEM3><SEP> Question: who?",
    "[INST] What is the capital of France? [/INST]",
    "<s>[INST] hi [/INST]",
    "text<ENC>more<PAD>",
]


# The generator prompt of the reference (see ClaraPromptBuilder): system text and user text joined by "\n" in one
# Mistral-v0.2 user turn, bos_token + '[INST] ' + content + ' [/INST]', rendered as a string, then tokenized.
SYSTEM = ("You are a helpful assistant. Your task is to extract relevant information from provided documents "
          "and to answer to questions as briefly as possible.")
PROMPTS = [("Who wrote the novel?", 2), ("What is the capital of France?", 1)]


def clara_prompt_text(question: str, k: int) -> str:
    slots = "".join(ADDED[:4]) + "<SEP>"
    user = f"Background:\n{slots * k}\n\nQuestion:{question}"
    return "<s>" + "[INST] " + SYSTEM + "\n" + user + " [/INST]"


def train() -> spm.SentencePieceProcessor:
    model = io.BytesIO()
    spm.SentencePieceTrainer.train(
        sentence_iterator=iter(CORPUS.splitlines()),
        model_writer=model,
        model_type="bpe",
        vocab_size=VOCAB_SIZE,
        character_coverage=1.0,
        byte_fallback=True,
        normalization_rule_name="identity",
        remove_extra_whitespaces=False,
        add_dummy_prefix=True,
        allow_whitespace_only_pieces=True,
        split_digits=True,
        unk_id=0, bos_id=1, eos_id=2, pad_id=-1,
        num_threads=1,
        input_sentence_size=0,
        shuffle_input_sentence=False,
        hard_vocab_limit=False,
        minloglevel=2,
    )
    return spm.SentencePieceProcessor(model_proto=model.getvalue())


def added_ids(sp: spm.SentencePieceProcessor) -> dict[str, int]:
    return {t: sp.get_piece_size() + i for i, t in enumerate(ADDED)}


def legacy_encode(sp: spm.SentencePieceProcessor, text: str, added: dict[str, int]) -> list[int]:
    """Split on added tokens (leftmost, longest first), sentencepiece-encode each text segment on its own."""
    pattern = re.compile("|".join(re.escape(t) for t in sorted(added, key=len, reverse=True)))
    ids: list[int] = []
    pos = 0
    for m in pattern.finditer(text):
        if m.start() > pos:
            ids += sp.encode(text[pos:m.start()])
        ids.append(added[m.group(0)])
        pos = m.end()
    if pos < len(text):
        ids += sp.encode(text[pos:])
    return ids


def special_added(sp: spm.SentencePieceProcessor) -> dict[str, int]:
    """<unk>, <s>, </s> are added tokens of every HF Llama tokenizer, so they are recognised in text too."""
    return {sp.id_to_piece(i): i for i in (sp.unk_id(), sp.bos_id(), sp.eos_id())}


def hf_merges(sp: spm.SentencePieceProcessor) -> list[list[str]]:
    """Hugging Face's SentencePieceExtractor.extract with the pieces' scores: every split of a piece into two
    pieces is a merge, ranked by the merged piece's score (highest first), ties by the halves' ids."""
    vocab = {sp.id_to_piece(i): i for i in range(sp.get_piece_size())}
    merges = []
    for piece, pid in vocab.items():
        local = []
        for cut in range(1, len(piece)):
            left, right = piece[:cut], piece[cut:]
            if left in vocab and right in vocab:
                local.append((left, right, sp.get_score(pid)))
        local.sort(key=lambda m: (vocab[m[0]], vocab[m[1]]))
        merges.extend(local)
    merges.sort(key=lambda m: m[2], reverse=True)  # stable: ties keep the order above
    return [[left, right] for left, right, _ in merges]


def added_tokens_json(sp: spm.SentencePieceProcessor) -> list[dict]:
    entries = [(i, sp.id_to_piece(i)) for i in (sp.unk_id(), sp.bos_id(), sp.eos_id())]
    entries += [(i, t) for t, i in added_ids(sp).items()]
    return [{"id": i, "content": t, "single_word": False, "lstrip": False, "rstrip": False,
             "normalized": False, "special": True} for i, t in entries]


def tokenizer_json(sp: spm.SentencePieceProcessor, layout: str) -> dict:
    model = {
        "type": "BPE", "dropout": None, "unk_token": "<unk>", "continuing_subword_prefix": None,
        "end_of_word_suffix": None, "fuse_unk": True, "byte_fallback": True, "ignore_merges": False,
        "vocab": {sp.id_to_piece(i): i for i in range(sp.get_piece_size())},
        "merges": hf_merges(sp),
    }
    # Both layouts decode alike: marker to space, byte pieces fused into UTF-8, one leading space stripped.
    decoder = {"type": "Sequence", "decoders": [
        {"type": "Replace", "pattern": {"String": "\u2581"}, "content": " "},
        {"type": "ByteFallback"}, {"type": "Fuse"},
        {"type": "Strip", "content": " ", "start": 1, "stop": 0}]}
    if layout == "legacy":
        normalizer = {"type": "Sequence", "normalizers": [
            {"type": "Prepend", "prepend": "\u2581"},
            {"type": "Replace", "pattern": {"String": " "}, "content": "\u2581"}]}
        pre_tokenizer = None
    else:
        normalizer = None
        pre_tokenizer = {"type": "Metaspace", "replacement": "\u2581", "prepend_scheme": "first", "split": False}
    return {"version": "1.0", "truncation": None, "padding": None, "added_tokens": added_tokens_json(sp),
            "normalizer": normalizer, "pre_tokenizer": pre_tokenizer, "post_processor": None,
            "decoder": decoder, "model": model}


def tokenizer_config(sp: spm.SentencePieceProcessor) -> dict:
    decoder = {str(e["id"]): {k: v for k, v in e.items() if k != "id"} for e in added_tokens_json(sp)}
    return {"add_bos_token": True, "add_eos_token": False, "added_tokens_decoder": decoder,
            "additional_special_tokens": ADDED, "bos_token": "<s>", "eos_token": "</s>", "unk_token": "<unk>",
            "pad_token": "<PAD>", "legacy": True, "tokenizer_class": "LlamaTokenizer"}


def write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    print(f"{path.relative_to(OUT.parent.parent.parent)}  {len(data):>8} B  {hashlib.sha256(data).hexdigest()[:12]}")


def write_json(path: Path, value) -> None:
    write(path, (json.dumps(value, ensure_ascii=False, indent=1) + "\n").encode("utf-8"))


def main() -> int:
    sp = train()
    added = added_ids(sp)
    recognised = {**special_added(sp), **added}
    special_ids = set(recognised.values())

    write(OUT / "spm" / "tokenizer.model", sp.serialized_model_proto())
    write_json(OUT / "spm" / "tokenizer_config.json", tokenizer_config(sp))
    write_json(OUT / "spm" / "special_tokens_map.json", {
        "additional_special_tokens": ADDED, "bos_token": "<s>", "eos_token": "</s>", "unk_token": "<unk>",
        "pad_token": "<PAD>"})
    write_json(OUT / "hf-legacy" / "tokenizer.json", tokenizer_json(sp, "legacy"))
    write_json(OUT / "hf-legacy" / "tokenizer_config.json", tokenizer_config(sp))
    write_json(OUT / "hf-metaspace" / "tokenizer.json", tokenizer_json(sp, "metaspace"))

    cases = []
    for text in CASES:
        ids = legacy_encode(sp, text, recognised)
        plain = [i for i in ids if i not in special_ids]
        with_specials = [sp.bos_id()] + ids + [sp.eos_id(), added["<PAD>"]]
        cases.append({
            "text": text,
            "ids": ids,
            "pieces": [sp.id_to_piece(i) if i < sp.get_piece_size() else ADDED[i - sp.get_piece_size()] for i in ids],
            "has_added_tokens": len(plain) != len(ids) or any(t in text for t in recognised),
            # decoding skips every special id; the rest is one sentencepiece decode (no added token in between)
            "decode_ids": with_specials,
            "decoded": sp.decode(plain),
        })
        if not cases[-1]["has_added_tokens"] and sp.decode(ids) != text:
            raise SystemExit(f"self-check: sentencepiece does not round-trip {text!r}")
    prompts = [{"question": q, "k": k, "rendered": clara_prompt_text(q, k),
                "ids": legacy_encode(sp, clara_prompt_text(q, k), recognised)} for q, k in PROMPTS]
    turns = [{"content": c, "ids": legacy_encode(sp, "<s>[INST] " + c + " [/INST]", recognised)}
             for c in ["hi", "What is the capital of France?", " two  spaces "]]
    write_json(OUT / "expected.json", {
        "vocab_size": sp.get_piece_size() + len(ADDED),
        "model_pieces": sp.get_piece_size(),
        "bos_id": sp.bos_id(), "eos_id": sp.eos_id(), "unk_id": sp.unk_id(),
        "added_tokens": added,
        "cases": cases,
        "mistral_user_turns": turns,
        "clara_prompts": prompts,
    })
    return 0


if __name__ == "__main__":
    sys.exit(main())
