#!/usr/bin/python3
"""The run's evaluations as one markdown table, in the order recipe.log ran them: recall@1, EM, and among the questions
whose gold document was ranked first, how many word and number answers were exact (as docs/default-model-run-9/
by-answer-kind.py counts them).

    /usr/bin/python3 docs/default-model-recipe-run-2/progress.py RUN-DIR > docs/default-model-recipe-run-2/progress.md
"""
import json
import sys
from pathlib import Path


def main() -> int:
    run = Path(sys.argv[1])
    answers = [json.loads(line)["answer"] for line in open(run / "data" / "eval" / "test.jsonl")]
    names = [line.split("\t")[0][len("eval-"):] for line in (run / "times.tsv").read_text().splitlines() if line.startswith("eval-")]
    print("| step | recall@1 | EM | words exact (gold first) | numbers exact (gold first) |")
    print("|---|---|---|---|---|")
    for name in names:
        result = json.loads((run / "eval" / f"{name}.json").read_text())
        counts = {"words": [0, 0], "numbers": [0, 0]}
        for pick in result["picks"]:
            if pick["topk"][0] != pick["gold"] or pick.get("answer") is None:
                continue
            kind = "numbers" if answers[pick["index"]].isdigit() else "words"
            counts[kind][1] += 1
            counts[kind][0] += bool(pick["exact_match"])
        em = "-" if result["exact_match"] is None else f"{result['exact_match']:.3f}"
        kinds = [f"{right} of {total}" if total else "-" for right, total in counts.values()]
        print(f"| {name} | {result['recall_at_1']:.3f} | {em} | {kinds[0]} | {kinds[1]} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
