#!/usr/bin/python3
"""Encode speed of Google's sentencepiece, single-threaded, on a Mistral-sized BPE model — the reference side of
bench/tokenizer-speed.sh (the engine side is the bench program's `tokenizer` mode over the same files).

  /usr/bin/python3 bench/tokenizer_speed.py [--work DIR] [--repeat N]

The first run builds, in DIR (default /tmp/clara-tokenizer-bench), from text already on a Debian machine
(Python's standard library sources and license texts: prose, code, long runs of "=" and "-" and spaces):
  tokenizer.model   sentencepiece BPE trained here like Mistral's/Llama's (32 000 pieces, byte fallback,
                    identity normalization, dummy prefix, whitespace-only pieces, split digits)
  corpus.jsonl      ~2 000 documents of ~4 000 characters each ({"id", "text"})
Then prints one JSON object: documents, characters, tokens and the best-of-N seconds (wall clock, and the process's
CPU time) of encoding every document with SentencePieceProcessor.encode (one call per document, one thread).
"""

from __future__ import annotations

import argparse
import glob
import io
import json
import time
from pathlib import Path

import sentencepiece as spm

DOC_CHARS = 4000
DOCS = 2000


def sources() -> list[str]:
    files = sorted(glob.glob("/usr/lib/python3*/**/*.py", recursive=True)) + sorted(glob.glob("/usr/share/common-licenses/*"))
    texts = []
    for f in files:
        try:
            texts.append(Path(f).read_text(encoding="utf-8"))
        except (UnicodeDecodeError, OSError, IsADirectoryError):
            continue
    return texts


def build(work: Path) -> None:
    work.mkdir(parents=True, exist_ok=True)
    texts = sources()
    blob = "\n".join(texts)
    # Every 7th chunk for the benchmark, the rest for training, so the model has not memorised the corpus.
    chunks = [blob[i:i + DOC_CHARS] for i in range(0, len(blob), DOC_CHARS)]
    bench = chunks[::7][:DOCS]
    training = [line for i, c in enumerate(chunks) if i % 7 for line in c.split("\n") if line.strip()]
    model = io.BytesIO()
    spm.SentencePieceTrainer.train(
        sentence_iterator=iter(training), model_writer=model, model_type="bpe", vocab_size=32000,
        character_coverage=0.9999, byte_fallback=True, normalization_rule_name="identity",
        remove_extra_whitespaces=False, add_dummy_prefix=True, allow_whitespace_only_pieces=True, split_digits=True,
        unk_id=0, bos_id=1, eos_id=2, pad_id=-1, input_sentence_size=400000, shuffle_input_sentence=True,
        max_sentence_length=8192, num_threads=2, minloglevel=2)
    (work / "tokenizer.model").write_bytes(model.getvalue())
    with open(work / "corpus.jsonl", "w", encoding="utf-8") as out:
        for i, text in enumerate(bench):
            out.write(json.dumps({"id": f"d{i}", "text": text}, ensure_ascii=False) + "\n")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--work", default="/tmp/clara-tokenizer-bench")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--limit", type=int, default=0, help="only the first N documents (0: all)")
    args = parser.parse_args()
    work = Path(args.work)
    if not (work / "tokenizer.model").exists() or not (work / "corpus.jsonl").exists():
        build(work)
    sp = spm.SentencePieceProcessor(model_file=str(work / "tokenizer.model"))
    texts = [json.loads(line)["text"] for line in open(work / "corpus.jsonl", encoding="utf-8")]
    if args.limit > 0:
        texts = texts[:args.limit]
    tokens = sum(len(sp.encode(t)) for t in texts)  # warm-up
    best = best_cpu = float("inf")
    for _ in range(args.repeat):
        start, start_cpu = time.perf_counter(), time.process_time()
        for t in texts:
            sp.encode(t)
        best = min(best, time.perf_counter() - start)
        best_cpu = min(best_cpu, time.process_time() - start_cpu)
    print(json.dumps({"tokenizer": "sentencepiece " + spm.__version__, "documents": len(texts),
                      "characters": sum(map(len, texts)), "tokens": tokens, "seconds": best, "cpu_seconds": best_cpu,
                      "mchars_per_s": sum(map(len, texts)) / best / 1e6}))


if __name__ == "__main__":
    main()
