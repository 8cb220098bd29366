#!/usr/bin/python3
"""Trains small SentencePiece models with Google's sentencepiece and records its ids for a varied corpus.

Run from anywhere:  /usr/bin/python3 tests/oracle/make_sentencepiece_corpus_fixtures.py
Needs Debian's python3-sentencepiece only. Seeded and single-threaded: reruns write identical files.

Writes tests/fixtures/tokenizers/corpus/<model>/:
  tokenizer.model   trained here by sentencepiece's own trainer (spm_train through the Python module)
  encode.jsonl      {"text", "ids", "decoded"}: sp.encode(text) and sp.decode(those ids), one line per string
  decode.jsonl      {"ids", "text"}: sp.decode(ids) for id sequences drawn at random (byte pieces that form
                    no valid UTF-8, control and unknown ids, pieces that start with "▁" at the beginning)

As Hugging Face's Llama/Mistral tokenizers ("legacy"), the model's <unk>, <s> and </s> written in text are their
ids, and the text between them is encoded by sentencepiece stretch by stretch; decoding skips those special ids
(skip_special_tokens) and sentencepiece decodes the rest.

The models, all with the "identity" normalization rule of Llama/Mistral (the engine refuses other rules):
  bpe-bytes     BPE, byte fallback, dummy prefix, spaces kept, whitespace-only pieces, split digits
                (the Llama-2/Mistral settings), vocabulary 1200
  bpe-plain     BPE without byte fallback (unknown characters become one unknown id per run), extra
                whitespace removed, two user-defined pieces, vocabulary 900
  unigram       unigram, byte fallback, dummy prefix, spaces kept, vocabulary 1000

The training text and the corpus have long runs of repeated characters ("aaaa", "((((", "====", spaces
before code), code in several languages, numbers, CJK, Cyrillic, Arabic and Hebrew (RTL), emoji, control
characters and a few 10 000-character strings, so equal-score merges and tie-breaking are exercised.
"""

from __future__ import annotations

import hashlib
import io
import json
import random
import re
import sys
from pathlib import Path

import sentencepiece as spm

OUT = Path(__file__).resolve().parent.parent / "fixtures" / "tokenizers" / "corpus"

PROSE = [
    "Retrieval augmented generation answers a question from documents found by a retriever.",
    "A compressor turns each document into a few memory vectors, and the generator reads those vectors.",
    "The quick brown fox jumps over the lazy dog. Pack my box with five dozen liquor jugs!",
    "Paris is the capital of France, and Berlin is the capital of Germany; Rome is in Italy.",
    "In 1893, 2024 and 365 days of the year, the river flows through the city at 3.14159 m/s.",
    "She said: \"compression keeps the meaning, not the words.\" He replied -- 'indeed'.",
    "Numbers like 1,000,000 and 0.000001 or 1e-9 and 0x7FFF appear in scientific text.",
    "Mistral and Llama are decoder-only transformers with rotary position embeddings.",
]
CODE = [
    "def encode(self, text: str) -> list[int]:\n    return [self.vocab[t] for t in text.split()]\n",
    "    for (int i = 0; i < n; i++) { sum += a[i] * b[i]; }\n",
    "if (x == y && y != z || !flag) return (((a + b) * c) / d);",
    "public static int[] Encode(string text) => _added.Encode(text, int.MaxValue, EncodePiece);",
    "SELECT id, name FROM users WHERE age >= 18 ORDER BY name;",
    "{\"id\": \"doc-1\", \"text\": \"hello\", \"ids\": [1, 2, 3]}",
    "#include <stdio.h>\nint main(void) { printf(\"%d\\n\", 42); return 0; }",
    "// ==========================================================\n// Section\n// ----------------------------------------------------------",
    "x = [[1, 2], [3, 4]]; y = {'a': (1, 2), 'b': None}",
    "        return self._cache.get(key, default)\n\t\tindented_with_tabs()",
    "<div class=\"main\"><p>Hello &amp; welcome</p></div>",
    "fn main() { let v: Vec<u8> = vec![0; 16]; println!(\"{:?}\", v); }",
]
SCRIPTS = [
    "日本語のテキストと漢字、ひらがな、カタカナ。", "中文文本处理和分词测试。", "한국어 문장도 포함됩니다.",
    "Привет, мир! Это русский текст.", "مرحبا بالعالم، هذا نص عربي.", "שלום עולם, זה טקסט בעברית.",
    "Ünïcödé wörds: café, naïve, façade, Ærø.", "Ελληνικά γράμματα αβγδε.", "emoji 🙂😀🎉 and 𝔘𝔫𝔦𝔠𝔬𝔡𝔢 👩‍👩‍👧",
]
RUN_CHARS = list("a=.(-)_*#~ \t\n0zé日🙂") + ["ab", "()", "=-", "▁"]


def training_text(rng: random.Random) -> list[str]:
    lines = PROSE * 6 + CODE * 6 + SCRIPTS * 3
    for _ in range(400):
        c = rng.choice(RUN_CHARS)
        lines.append(rng.choice(["", "x ", "return ", "# "]) + c * rng.randint(2, 40) + rng.choice(["", " end", ";"]))
    for _ in range(200):
        lines.append(" " * rng.randint(1, 24) + rng.choice(CODE).split("\n")[0].strip())
    rng.shuffle(lines)
    return lines


def corpus(rng: random.Random) -> list[str]:
    fixed = ["", " ", "  ", "a", "aaaa", "((((", ".....", "========", " " * 20 + "return", "aaaaaaaaaaaaaaaaaaaaa",
             "hello world", "Hello  world  ", " leading", "trailing ", "\n", "\t\t", "line\nbreak\r\nwindows",
             "\x00\x01\x07 control \x1b[31m", "zero\u200bwidth", "nbsp\u00a0space", "▁literal▁marker",
             "mixed 日本 text 🙂 here", "RTL مرحبا inside English", "12345678901234567890", "3.14159 2.71828",
             "<s>[INST] special pieces in text [/INST]</s> <unk>x", "a" * 10000, "=" * 10000, " ".join(["word"] * 2000)]
    pieces = PROSE + CODE + SCRIPTS
    out = list(fixed)
    for _ in range(900):
        kind = rng.random()
        if kind < 0.3:
            out.append(rng.choice(pieces))
        elif kind < 0.55:
            c = rng.choice(RUN_CHARS)
            out.append(rng.choice(["", "x", " ", "return ", "(", "a"]) + c * rng.randint(1, 64) + rng.choice(["", "b", " end", ")", "\n"]))
        elif kind < 0.75:
            n = rng.randint(1, 5)
            out.append(rng.choice([" ", "", "\n", "  "]).join(rng.choice(pieces)[rng.randint(0, 10):][: rng.randint(1, 60)] for _ in range(n)))
        elif kind < 0.9:
            # random code points from assorted blocks
            blocks = [(0x20, 0x7E), (0xA0, 0x24F), (0x370, 0x3FF), (0x400, 0x4FF), (0x590, 0x6FF), (0x3040, 0x30FF),
                      (0x4E00, 0x4E80), (0x1F300, 0x1F64F), (0x0, 0x1F), (0x2580, 0x2590)]
            s = "".join(chr(rng.randint(*rng.choice(blocks))) for _ in range(rng.randint(1, 40)))
            out.append(s)
        else:
            out.append(" " * rng.randint(0, 30) + rng.choice(CODE))
    for _ in range(4):
        out.append("".join(rng.choice(pieces) + rng.choice([" ", "\n", "", "  "]) for _ in range(160))[:10000])
    return out


MODELS = {
    "bpe-bytes": dict(model_type="bpe", vocab_size=1200, byte_fallback=True, remove_extra_whitespaces=False,
                      add_dummy_prefix=True, allow_whitespace_only_pieces=True, split_digits=True),
    "bpe-plain": dict(model_type="bpe", vocab_size=900, byte_fallback=False, remove_extra_whitespaces=True,
                      add_dummy_prefix=True, user_defined_symbols=["<sep>", "[MASK]"], character_coverage=0.995),
    "unigram": dict(model_type="unigram", vocab_size=1000, byte_fallback=True, remove_extra_whitespaces=False,
                    add_dummy_prefix=True, allow_whitespace_only_pieces=True, split_digits=True),
}


def train(lines: list[str], settings: dict) -> spm.SentencePieceProcessor:
    model = io.BytesIO()
    options = dict(character_coverage=1.0, normalization_rule_name="identity", unk_id=0, bos_id=1, eos_id=2, pad_id=-1,
                   num_threads=1, input_sentence_size=0, shuffle_input_sentence=False, hard_vocab_limit=False,
                   max_sentence_length=20000, minloglevel=2, seed_sentencepiece_size=100000)
    options.update(settings)
    spm.SentencePieceTrainer.train(sentence_iterator=iter(lines), model_writer=model, **options)
    return spm.SentencePieceProcessor(model_proto=model.getvalue())


def special_ids(sp: spm.SentencePieceProcessor) -> dict[str, int]:
    return {sp.id_to_piece(i): i for i in (sp.unk_id(), sp.bos_id(), sp.eos_id())}


def legacy_encode(sp: spm.SentencePieceProcessor, text: str) -> list[int]:
    special = special_ids(sp)
    pattern = re.compile("|".join(re.escape(t) for t in sorted(special, key=len, reverse=True)))
    ids: list[int] = []
    pos = 0
    for m in pattern.finditer(text):
        if m.start() > pos:
            ids += sp.encode(text[pos:m.start()])
        ids.append(special[m.group(0)])
        pos = m.end()
    if pos < len(text):
        ids += sp.encode(text[pos:])
    return ids


def skip_special_decode(sp: spm.SentencePieceProcessor, ids: list[int]) -> str:
    skipped = set(special_ids(sp).values())
    return sp.decode([i for i in ids if i not in skipped])


def decode_cases(sp: spm.SentencePieceProcessor, rng: random.Random) -> list[list[int]]:
    n = sp.get_piece_size()
    byte_ids = [i for i in range(n) if sp.is_byte(i)]
    control = [i for i in range(n) if sp.is_control(i)] + [sp.unk_id()]
    space_first = [i for i in range(n) if sp.id_to_piece(i).startswith("\u2581")]
    cases = [[], [sp.unk_id()], control, space_first[:3]]
    for _ in range(300):
        ids = []
        for _ in range(rng.randint(1, 12)):
            r = rng.random()
            pool = byte_ids if (r < 0.3 and byte_ids) else control if r < 0.4 else space_first if r < 0.6 else range(n)
            ids.append(rng.choice(list(pool)))
        cases.append(ids)
    return cases


def write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    print(f"{path.relative_to(OUT.parent.parent.parent.parent)}  {len(data):>8} B  {hashlib.sha256(data).hexdigest()[:12]}")


def jsonl(rows) -> bytes:
    return "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows).encode("utf-8")


def main() -> int:
    lines = training_text(random.Random(14))
    texts = corpus(random.Random(2018))
    for name, settings in MODELS.items():
        sp = train(lines, settings)
        write(OUT / name / "tokenizer.model", sp.serialized_model_proto())
        rows = []
        for text in texts:
            ids = legacy_encode(sp, text)
            rows.append({"text": text, "ids": ids, "decoded": skip_special_decode(sp, ids)})
        write(OUT / name / "encode.jsonl", jsonl(rows))
        rng = random.Random(sum(map(ord, name)))
        write(OUT / name / "decode.jsonl", jsonl({"ids": ids, "text": skip_special_decode(sp, ids)} for ids in decode_cases(sp, rng)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
