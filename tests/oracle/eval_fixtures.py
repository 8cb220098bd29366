#!/usr/bin/python3
"""Reference values for `clara eval`, computed independently of the engine.

    /usr/bin/python3 tests/oracle/eval_fixtures.py                  # writes tests/fixtures/eval/
    /usr/bin/python3 tests/oracle/eval_fixtures.py --recompute EVAL.json DATA.jsonl
                                                                     # checks a `clara eval --json` output

What it writes (tests/fixtures/eval/), each an independent oracle for Clara.Engine.Evaluation:
  answer-metrics.json   exact match and token F1 of (prediction, gold) pairs, by the SQuAD v2.0 evaluation rules
                        (lower case, ASCII punctuation and a/an/the removed, whitespace collapsed; F1 over token
                        multisets; an empty side scores 1 only if both are empty).
  bm25.json             Okapi BM25 scores of queries over small candidate sets (k1 1.2, b 0.75, Lucene's idf
                        ln(1 + (N - n + 0.5)/(n + 0.5)), terms = lower-cased \\w+ runs, each distinct query term once).
  tiny-eval.jsonl       a few questions over English candidates, in the end-to-end form {"question","docs","answer","gold"}
  tiny-eval-expected.json  what `clara eval --model tests/fixtures/clara/clara-text --data tiny-eval.jsonl
                        --max-new-tokens 12` must give: every question's top k and greedy answer, computed with the
                        PyTorch CLaRa oracle (clara.py) and Google's sentencepiece, and the metrics over them
                        (plus each question's BM25 ranking, for --baseline bm25).
The gold indices and expected answers of tiny-eval.jsonl are chosen after the oracle has ranked and answered, so the
metrics take values other than 0 and 1 (the model has random weights). Questions whose scores or greedy steps are
too close to call are skipped, so an fp32 engine cannot legitimately disagree.
"""

from __future__ import annotations

import argparse
import json
import math
import re
import string
import sys
from collections import Counter
from pathlib import Path
from typing import Dict, List, Sequence

OUT = Path(__file__).resolve().parent.parent / "fixtures" / "eval"


# ----------------------------------------------------------------------------------------------
# SQuAD v2.0 answer metrics
# ----------------------------------------------------------------------------------------------

def normalize_answer(text: str) -> str:
    text = text.lower()
    text = "".join(ch for ch in text if ch not in set(string.punctuation))
    text = re.sub(r"\b(a|an|the)\b", " ", text)
    return " ".join(text.split())


def exact_match(prediction: str, gold: str) -> float:
    return float(normalize_answer(prediction) == normalize_answer(gold))


def token_f1(prediction: str, gold: str) -> float:
    predicted, expected = normalize_answer(prediction).split(), normalize_answer(gold).split()
    if not predicted or not expected:
        return float(predicted == expected)
    common = sum((Counter(predicted) & Counter(expected)).values())
    if common == 0:
        return 0.0
    precision, recall = common / len(predicted), common / len(expected)
    return 2 * precision * recall / (precision + recall)


METRIC_CASES = [
    ("Paris", "Paris"), ("paris.", "Paris"), ("The Paris", "paris"), ("an apple", "Apple!"),
    ("the capital is Paris", "Paris"), ("Paris France", "Paris, France"), ("", ""), ("", "Paris"),
    ("Paris", ""), ("a a a", "a"), ("cat cat dog", "cat dog dog"), ("1893", "1,893"), ("  spaced   out ", "spaced out"),
    ("Berlin", "Paris"), ("the the", "an"), ("Mount Everest", "Everest"), ("café au lait", "Café au lait"),
    ("New-York", "new york"), ("It's", "its"), ("3.14", "314"),
]


# ----------------------------------------------------------------------------------------------
# BM25
# ----------------------------------------------------------------------------------------------

K1, B = 1.2, 0.75


def bm25_terms(text: str) -> List[str]:
    return re.findall(r"\w+", text.lower())


def bm25_scores(query: str, documents: Sequence[str]) -> List[float]:
    docs = [bm25_terms(d) for d in documents]
    n = len(docs)
    average = sum(len(d) for d in docs) / n
    counts = [Counter(d) for d in docs]
    scores = [0.0] * n
    for term in dict.fromkeys(bm25_terms(query)):
        containing = sum(1 for c in counts if term in c)
        if containing == 0:
            continue
        idf = math.log(1 + (n - containing + 0.5) / (containing + 0.5))
        for i, c in enumerate(counts):
            tf = c.get(term, 0)
            if tf:
                scores[i] += idf * tf * (K1 + 1) / (tf + K1 * (1 - B + B * len(docs[i]) / average))
    return scores


BM25_CASES = [
    ("Where was Melmo Dine born?",
     ["Melmo Dine was born in Givale. Melmo Dine plays the harp.", "Melmo Rorthen was born in Galmouth.",
      "Daro Kovo works as a chemist.", "The birthplace of Daro Melmo is Givale, and Daro Melmo was born there."]),
    ("capital of France", ["Paris is the capital of France.", "Berlin is the capital of Germany.",
                           "France France France", "", "The river flows through the city."]),
    ("the the the", ["the cat", "a dog", "the the the the"]),
    ("Café naïve 1893", ["café Naïve", "1893 1893", "nothing here"]),
]


# ----------------------------------------------------------------------------------------------
# Evaluation of a CLaRa model (the same definitions as `clara eval`)
# ----------------------------------------------------------------------------------------------

def aggregate(picks: Sequence[dict], k: int) -> Dict[str, float]:
    return {
        "recall_at_1": sum(p["ranking"][0] == p["gold"] for p in picks) / len(picks),
        "recall_at_k": sum(p["gold"] in p["ranking"][:k] for p in picks) / len(picks),
        "exact_match": sum(exact_match(p["answer"], p["expected"]) for p in picks) / len(picks),
        "f1": sum(token_f1(p["answer"], p["expected"]) for p in picks) / len(picks),
    }


def recompute(eval_json: Path, data: Path) -> int:
    """Checks a `clara eval --json` output: its aggregates from its own per-question picks and the data file."""
    result = json.loads(eval_json.read_text(encoding="utf-8"))
    lines = [json.loads(l) for l in data.read_text(encoding="utf-8").splitlines() if l.strip()]
    picks = []
    for p in result["picks"]:
        line = lines[p["index"]]
        if p["gold"] != line["gold"] or p["expected"] != line["answer"]:
            raise SystemExit(f"{eval_json}: pick {p['index']} does not match {data}:{p['index'] + 1}")
        if p["topk"] != p["ranking"][:result["k"]]:
            raise SystemExit(f"{eval_json}: pick {p['index']}: topk is not the head of the ranking")
        picks.append({**p, "answer": p["answer"] if p["answer"] is not None else ""})
    mine = aggregate(picks, result["k"])
    if result["exact_match"] is None:
        del mine["exact_match"], mine["f1"]
    bad = {name: (result[name], value) for name, value in mine.items() if abs(result[name] - value) > 1e-12}
    print(json.dumps({"recomputed": mine, "questions": len(picks)}))
    if bad:
        print(f"{eval_json}: clara eval and the recomputation disagree: {bad}", file=sys.stderr)
        return 1
    return 0


QUESTIONS = [
    "What is the capital of France?", "Who wrote the novel?", "Where is the tallest mountain?",
    "Which river flows through the city?", "What is the capital of Germany?", "Where does the author live?",
    "What does the compressor do?", "How many days are in the year?", "Which fox jumps over the dog?",
]
DOCUMENTS = [
    "Paris is the capital of France.", "Mount Everest is the tallest mountain in the world.",
    "The novel was written by an author from London.", "Berlin is the capital of Germany.",
    "The river flows through the city.", "The quick brown fox jumps over the lazy dog.",
    "A compressor turns each document into a few memory vectors.", "The year has 365 days.",
]
CANDIDATES = 4
QUESTION_COUNT = 6
MAX_NEW_TOKENS = 12


def tiny_eval() -> tuple[list[dict], dict]:
    import torch
    import clara_text_fixtures as text_fixture
    from clara import compress, cosine_scores, encoder_inputs, greedy_generate, query_vector, splice_memory
    from clara_fixtures import MIN_GREEDY_MARGIN, MIN_SCORE_GAP, ClaraModels

    sp = text_fixture.load_tokenizer()
    directory = text_fixture.FIXTURES / "clara" / text_fixture.NAME
    models = ClaraModels.load(directory)
    cfg = models.config
    k = cfg.top_k
    memory, _ = compress(models.model, models.encoder, *encoder_inputs([text_fixture.encode(sp, d) for d in DOCUMENTS], cfg), cfg)
    picks, lines = [], []
    for qi, question in enumerate(QUESTIONS):
        if len(picks) == QUESTION_COUNT:
            break
        candidates = [(qi + 3 * j) % len(DOCUMENTS) for j in range(CANDIDATES)]
        ids, mask = encoder_inputs([text_fixture.encode(sp, question)], cfg)
        query = query_vector(models.model, models.query_reasoner, ids, mask, cfg)[0]
        scores = cosine_scores(query, memory[candidates])
        ranking = sorted(range(CANDIDATES), key=lambda i: (-scores[i].item(), i))
        ordered = [scores[i].item() for i in ranking]
        if min(a - b for a, b in zip(ordered, ordered[1:])) < MIN_SCORE_GAP:
            print(f"  skipped {question!r}: two scores within {MIN_SCORE_GAP}")
            continue
        prompt = text_fixture.generator_prompt(sp, question, k)
        embeds = splice_memory(models.model, torch.tensor(prompt), memory[[candidates[i] for i in ranking[:k]]], cfg)
        generation = greedy_generate(models.model, models.decoder, embeds, MAX_NEW_TOKENS, cfg.eos_token_id)
        if min(generation.margins) < MIN_GREEDY_MARGIN:
            print(f"  skipped {question!r}: a greedy step decided by {min(generation.margins):.1e}")
            continue
        words = [t for t in generation.tokens if t != cfg.eos_token_id]
        answer = sp.decode(words).strip()
        n = len(picks)
        # Gold and expected answers chosen so that hits, misses, exact and partial matches all occur.
        gold = ranking[[0, 1, 3, 0, 2, 0][n]]
        first_word = answer.split()[0] if answer.split() else "none"
        expected = [answer, f"The {answer}!", f"{first_word} zebra", "Paris", answer.upper(), "nothing at all"][n]
        lines.append({"question": question, "docs": [DOCUMENTS[c] for c in candidates], "answer": expected, "gold": gold})
        bm25 = bm25_scores(question, lines[-1]["docs"])
        picks.append({"index": n, "gold": gold, "ranking": ranking, "topk": ranking[:k], "answer": answer,
                      "expected": expected, "scores": [scores[i].item() for i in range(CANDIDATES)],
                      "bm25_ranking": sorted(range(CANDIDATES), key=lambda i: (-bm25[i], i))})
    if len(picks) < QUESTION_COUNT:
        raise RuntimeError(f"only {len(picks)} robust questions; add more to QUESTIONS")
    expected = {"k": k, "max_new_tokens": MAX_NEW_TOKENS, "picks": picks, **aggregate(picks, k)}
    return lines, expected


def write_json(path: Path, value) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(value, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {path}")


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--recompute", nargs=2, type=Path, metavar=("EVAL_JSON", "DATA_JSONL"))
    args = p.parse_args()
    if args.recompute:
        return recompute(*args.recompute)

    write_json(OUT / "answer-metrics.json", [{"prediction": a, "gold": b, "exact_match": exact_match(a, b),
                                              "f1": token_f1(a, b)} for a, b in METRIC_CASES])
    write_json(OUT / "bm25.json", [{"query": q, "docs": d, "scores": bm25_scores(q, d)} for q, d in BM25_CASES])
    lines, expected = tiny_eval()
    OUT.joinpath("tiny-eval.jsonl").write_text("".join(json.dumps(l, ensure_ascii=False) + "\n" for l in lines),
                                               encoding="utf-8")
    print(f"wrote {OUT / 'tiny-eval.jsonl'}")
    write_json(OUT / "tiny-eval-expected.json", expected)
    print(f"  recall@1 {expected['recall_at_1']:.4f}  recall@{expected['k']} {expected['recall_at_k']:.4f}  "
          f"EM {expected['exact_match']:.4f}  F1 {expected['f1']:.4f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
