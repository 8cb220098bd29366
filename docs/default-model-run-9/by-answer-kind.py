#!/usr/bin/python3
"""Exact match of a `clara eval --json` output split by the kind of answer: numbers (years, employee counts) and words
(names of towns, professions, instruments, ...), among the questions whose gold document was ranked first, with how a
wrong number relates to the right one (the same digits in another order, or other digits).

    /usr/bin/python3 docs/default-model-run-9/by-answer-kind.py EVAL.json samples/default-eval/test.jsonl
"""
import json
import sys
from collections import Counter


def main() -> int:
    evaluation, questions = sys.argv[1:3]
    picks = json.load(open(evaluation))["picks"]
    answers = [json.loads(line)["answer"] for line in open(questions)]
    total, right, wrong_numbers = Counter(), Counter(), Counter()
    for pick in picks:
        if pick["topk"][0] != pick["gold"]:
            continue
        expected = answers[pick["index"]]
        kind = "numbers" if expected.isdigit() else "words"
        total[kind] += 1
        right[kind] += pick["exact_match"]
        if kind == "numbers" and not pick["exact_match"]:
            same_digits = sorted(pick["answer"]) == sorted(expected)
            wrong_numbers["same digits, other order" if same_digits else "other digits"] += 1
    share = lambda kind: f"{kind}: {right[kind]} of {total[kind]} exact ({right[kind] / max(1, total[kind]):.3f})"
    print(share("words"))
    print(share("numbers") + "; the wrong ones: " + ", ".join(f"{n} {what}" for what, n in sorted(wrong_numbers.items())))
    return 0


if __name__ == "__main__":
    sys.exit(main())
