"""Core benchmark: compile time of every library model, and the neural solver on Lucas and
brusan_log against their references, beside figures of peer solvers on the same model.

    python bench/bench_core.py            # prints a table
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from references import BrusanLog, lucas_pd  # noqa: E402

import walras  # noqa: E402

PEERS = [  # measured on a machine of this kind
    ("brusan_log", "Deep-MacroFin 0.5.3 (PyTorch)", 88.5, 10000, 6.7e-3, 3.3e-2),
    ("brusan_log", "plain 32x3 tanh PINN (JAX)", 22.0, 12000, 2.3e-3, 3.3e-2),
]


def compile_times() -> list[tuple[str, float]]:
    rows = []
    for name in walras.api.library():
        text = walras.api.resolve(name).read_text()
        if "factor_model" in text:
            continue
        t = time.perf_counter()
        walras.load(name).compile()
        rows.append((name, time.perf_counter() - t))
    return rows


def timed(name: str, **settings):
    t = time.perf_counter()
    solution = walras.solve(name, method="neural", **settings)
    return solution, time.perf_counter() - t


def main() -> None:
    print("parse + check + symbolic compile")
    for name, seconds in compile_times():
        print(f"  {name:24s} {seconds:6.3f} s")
    print()
    header = (
        f"{'model':12s} {'solver':34s} {'wall s':>8s} {'steps':>7s} {'q/pd rel err':>13s} "
        f"{'psi abs err':>12s}"
    )
    print(header)
    print("-" * len(header))
    for label, settings in (("defaults", {}), ("400 Adam + 40 LM", dict(steps=400, polish=40))):
        lucas, seconds = timed("lucas", **settings)
        err = np.max(np.abs(lucas.dataset["pd"].values / lucas_pd() - 1))
        print(
            f"{'lucas':12s} {'walras neural, ' + label:34s} {seconds:8.1f} "
            f"{len(lucas.history):7d} {err:13.2e} {'':>12s}"
        )
    ref = BrusanLog().solve()
    eta = np.linspace(0.01, 0.99, 99)
    brusan, seconds = timed("brusan_log")
    ds = brusan.evaluate(eta[:, None])
    q_err = np.max(np.abs(ds["q"].values / ref.q(eta) - 1))
    psi_err = np.max(np.abs(ds["psi"].values - ref.psi(eta)))
    print(
        f"{'brusan_log':12s} {'walras neural, defaults':34s} {seconds:8.1f} "
        f"{len(brusan.history):7d} {q_err:13.2e} {psi_err:12.2e}"
    )
    for model, peer, seconds, steps, q_err, psi_err in PEERS:
        print(f"{model:12s} {peer:34s} {seconds:8.1f} {steps:7d} {q_err:13.2e} {psi_err:12.2e}")
    fine = np.linspace(0.2, 0.5, 30001)
    psi = brusan.evaluate(fine[:, None])["psi"].values
    print(
        f"\nbrusan_log eta*: walras {fine[np.argmax(psi >= 1)]:.5f}, reference {ref.eta_star:.5f}"
    )


if __name__ == "__main__":
    main()
