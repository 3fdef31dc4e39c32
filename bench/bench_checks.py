"""How long the front end takes on very large expressions: parse, check and unparse of a sum of
10,000 terms and of 3,000 nested products (the goal: check and unparse each under a second).

Run: python bench/bench_checks.py
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from walras.compiler import check
from walras.grammar import parse
from walras.grammar.unparse import unparse

sys.path.insert(0, str(Path(__file__).parents[1] / "tests"))
from test_fold import DEEP, HEAD  # noqa: E402  (the expressions the tests check)


def best(f, *args, repeat: int = 3) -> float:
    """The best of `repeat` wall times of f(*args), in seconds."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        f(*args)
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    print("| expression | parse (s) | check (s) | unparse (s) |\n|---|---|---|---|")
    for name, body in DEEP.items():
        text = HEAD + f"let big = {body}\nequation e: v = big\n"
        module = parse(text)
        row = [best(parse, text), best(check, module), best(unparse, module)]
        print(f"| {name} | " + " | ".join(f"{t:.3f}" for t in row) + " |")


if __name__ == "__main__":
    main()
