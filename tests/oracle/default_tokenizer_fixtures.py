#!/usr/bin/python3
"""A tokenizer made the way tools/make-tokenizer.py makes the default model's, and the ids Google's sentencepiece gives.

    /usr/bin/python3 tests/oracle/default_tokenizer_fixtures.py
        # writes tests/fixtures/tokenizers/default-style/ and default-style-numbers/

The default model's tokenizer differs from the spm fixture in one way that matters to the engine: its CLaRa tokens
(<MEM0>..<MEM15>, <ENC>, <SEP>, <AE>, <PAD>) are user-defined symbols inside the SentencePiece vocabulary (ids 3..22)
rather than added tokens after it. This trains one with make-tokenizer.py's own functions on a fixed corpus in the
generated corpus' style, and records for each case the ids of the Hugging Face "legacy" rule (split on the special
tokens, sentencepiece on each segment; make_tokenizer_fixtures.legacy_encode) and the decoded text, so a test can
check that Clara.Engine.Tokenization reads such a model exactly. default-style-numbers is the same with
make-tokenizer.py --whole-numbers 1: the corpus' numbers are user-defined pieces that carry the word-start mark
("\u25811866"), matched longest-first in the normalised text. Training is single-threaded: reruns write identical files.
"""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

from make_tokenizer_fixtures import clara_prompt_text, legacy_encode, special_added

REPO = Path(__file__).resolve().parents[2]
FIXTURES = REPO / "tests" / "fixtures" / "tokenizers"
VOCAB_SIZE = 420
MEM_TOKENS = 16

CORPUS = """\
Nirzu Gelko was born in Givale. Nirzu Gelko works as a geologist. Nirzu Gelko plays the trumpet.
The birth year of Melmo Dine is 1879. By trade, Melmo Dine is an architect. Melmo Dine is a native of Galmouth.
Bolen Works was founded in 1902. The head office of Bolen Works is in Brumouth. Bolen Works employs 4200 people.
The capital of Vamoria is Tezport. People in Vamoria speak Orvish. The currency of Vamoria is the florin.
Where was Nirzu Gelko born? What is the profession of Melmo Dine? When was Bolen Works founded?
What is the capital of Vamoria? Which language do people in Vamoria speak? How many employees does Bolen Works have?
Daro Kovo earns a living as a chemist. The favourite instrument of Daro Kovo is the cello. Daro Kovo was born in 1844.
Sembalia gained independence in 1761. Money in Sembalia is counted in the crown. Most people in Sembalia speak Tulese.
"""

CASES = [
    "Where was Tupo Menbron born?",
    "Kalder Pulto came into the world in the town of Zunport.",
    "In 1866, Kalder Pulto was born.",
    "Nirzu Gelko",
    "Thirgi Seltel plays the drums; Zilmaenper Gikasbe does not.",
    "<MEM0><MEM1><MEM2><MEM3><MEM4><MEM5><MEM6><MEM7><SEP>",
    "<ENC><s>Bolen Works employs 4200 people.</s><PAD><PAD>",
    "text<MEM15>more<AE>",
    "Ünïcödé café 🙂",
    "",
    "Bolen Works employs 4200 people. It was founded in 1902.",
    "1844",
    "In 1879, 18790 and 1879a; 42 or 4200.5, then 1761!",
]


def load_make_tokenizer():
    spec = importlib.util.spec_from_file_location("make_tokenizer", REPO / "tools" / "make-tokenizer.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def write_fixture(make_tokenizer, out: Path, whole_numbers: int) -> None:
    corpus = out.parent / f"{out.name}-corpus.txt"
    corpus.write_text(CORPUS, encoding="utf-8")
    try:
        specials = make_tokenizer.special_tokens(MEM_TOKENS)
        lines = make_tokenizer.training_lines(corpus)
        numbers = make_tokenizer.whole_numbers(lines, whole_numbers) if whole_numbers > 0 else []
        sp = make_tokenizer.train(lines, VOCAB_SIZE + len(numbers), specials + numbers)
    finally:
        corpus.unlink()
    make_tokenizer.write_files(sp, specials, out)
    recognised = {**special_added(sp), **{t: sp.piece_to_id(t) for t in specials}}
    special_ids = set(recognised.values())
    prompt = clara_prompt_text("Where was Tupo Menbron born?", 3).replace("<MEM0><MEM1><MEM2><MEM3>",
                                                                          "".join(specials[:8]))
    cases = []
    for text in CASES + [prompt]:
        ids = legacy_encode(sp, text, recognised)
        cases.append({"text": text, "ids": ids, "decoded": sp.decode([i for i in ids if i not in special_ids])})
    expected = {"pieces": sp.get_piece_size(), "special_ids": {t: sp.piece_to_id(t) for t in specials},
                "bos_id": sp.bos_id(), "eos_id": sp.eos_id(), "cases": cases}
    (out / "expected.json").write_text(json.dumps(expected, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {out}: {sp.get_piece_size()} pieces ({len(numbers)} whole numbers), specials at "
          f"{min(expected['special_ids'].values())}..{max(expected['special_ids'].values())}")


def main() -> int:
    make_tokenizer = load_make_tokenizer()
    write_fixture(make_tokenizer, FIXTURES / "default-style", 0)
    write_fixture(make_tokenizer, FIXTURES / "default-style-numbers", 1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
