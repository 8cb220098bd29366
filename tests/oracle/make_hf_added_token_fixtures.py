#!/usr/bin/python3
"""tokenizer.json fixtures with added tokens that strip whitespace, match single words, are not special or are
matched after normalization, with the ids and decoded texts of Hugging Face's Rust tokenizers.

Run from anywhere:  /usr/bin/python3 tests/oracle/make_hf_added_token_fixtures.py
Needs Debian's python3-sentencepiece and node with the npm package in tests/oracle/hf-tokenizers
(`cd tests/oracle/hf-tokenizers && npm ci` once; it runs offline on the local files).

The vocabulary and merges are those of tests/fixtures/tokenizers/corpus/bpe-bytes/tokenizer.model (written by
make_sentencepiece_corpus_fixtures.py), converted as Hugging Face's LlamaConverter does (make_tokenizer_fixtures.py).
Writes tests/fixtures/tokenizers/added/<layout>/:
  tokenizer.json    legacy (normalizer Prepend + Replace) or metaspace (Metaspace pre-tokenizer, prepend "first")
  texts.jsonl       the strings
  expected.jsonl    {"text", "ids", "decoded"} from Hugging Face's tokenizers: encode without special tokens,
                    decode with skip_special_tokens — written by hf-tokenizers/encode.js, never by the engine
"""

from __future__ import annotations

import hashlib
import json
import random
import subprocess
import sys
from pathlib import Path

import sentencepiece as spm

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import make_tokenizer_fixtures as base  # noqa: E402  (hf_merges, tokenizer_json layouts)
import make_sentencepiece_corpus_fixtures as corpus  # noqa: E402

FIXTURES = HERE.parent / "fixtures" / "tokenizers"
OUT = FIXTURES / "added"


def flags(content, id_, special, lstrip=False, rstrip=False, single_word=False, normalized=None):
    return {"id": id_, "content": content, "single_word": single_word, "lstrip": lstrip, "rstrip": rstrip,
            "normalized": (not special) if normalized is None else normalized, "special": special}


def added_tokens(sp: spm.SentencePieceProcessor) -> list[dict]:
    n = sp.get_piece_size()
    return [
        flags("<unk>", sp.unk_id(), True, normalized=False),
        flags("<s>", sp.bos_id(), True, normalized=False),
        flags("</s>", sp.eos_id(), True, rstrip=True, normalized=False),       # as in the issue: swallows the space after it
        flags("<mask>", n, False, lstrip=True, normalized=False),              # not special: decoded as its content
        flags("<tag>", n + 1, False, normalized=True),                          # matched in the normalized text
        flags("[W]", n + 2, False, single_word=True, normalized=False),
        flags("<r>", n + 3, False, rstrip=True, normalized=False),
        flags("<both>", n + 4, True, lstrip=True, rstrip=True, normalized=False),
        flags("<MEM0>", n + 5, True, normalized=False),                         # CLaRa's kind: special, no flags
    ]


TOKENS = ["<unk>", "<s>", "</s>", "<mask>", "<tag>", "[W]", "<r>", "<both>", "<MEM0>"]


def texts(rng: random.Random) -> list[str]:
    fixed = [
        " world world<unk></s> ", "\n<mask></s>Hello", "Hello <mask> world", "Hello<mask>world", "  <mask>  x",
        "a <tag> b", "a<tag>b", "<tag> first", " <tag>", "x [W] y", "x[W]y", "[W]", "word [W]ing", "é[W] 日[W]",
        "<r>   tail", "<r>\t\nnext", "pre <both>  post", "<both>", "<s>[INST] hi [/INST]</s>", "</s></s>  </s> x",
        "<MEM0><MEM0> doc", "Background: <MEM0><MEM0> Question: who?", "", " ", "<mask>", "<mask><mask> <mask>",
        "text<r>", "</s>\u3000wide space", "tab\t<mask>\tafter",
    ]
    out = list(fixed)
    words = ["hello", "world", " ", "  ", "\n", "x", "日本", "🙂", "((((", "aaaa", "return", "==", ".", "\t"]
    for _ in range(400):
        out.append("".join(rng.choice(TOKENS) if rng.random() < 0.3 else rng.choice(words) for _ in range(rng.randint(1, 12))))
    plain = [t for t in corpus.corpus(random.Random(2018)) if len(t) < 2000]
    out += rng.sample(plain, 200)
    return out


def write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    print(f"{path.relative_to(HERE.parent.parent)}  {len(data):>8} B  {hashlib.sha256(data).hexdigest()[:12]}")


def main() -> int:
    sp = spm.SentencePieceProcessor(model_file=str(FIXTURES / "corpus" / "bpe-bytes" / "tokenizer.model"))
    strings = texts(random.Random(1414))
    for layout in ("legacy", "metaspace"):
        definition = base.tokenizer_json(sp, layout)
        definition["added_tokens"] = added_tokens(sp)
        folder = OUT / layout
        write(folder / "tokenizer.json", (json.dumps(definition, ensure_ascii=False, indent=1) + "\n").encode("utf-8"))
        write(folder / "texts.jsonl", corpus.jsonl({"text": t} for t in strings))
        subprocess.run(["node", str(HERE / "hf-tokenizers" / "encode.js"), str(folder)], check=True)
        print(f"{(folder / 'expected.jsonl').relative_to(HERE.parent.parent)}  written by Hugging Face tokenizers")
    return 0


if __name__ == "__main__":
    sys.exit(main())
