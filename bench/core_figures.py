"""Figures of docs/models/lucas.md and brusan_log.md: the neural solution against its reference.

python bench/core_figures.py      # writes docs/models/lucas.png and brusan_log.png
"""

from __future__ import annotations

import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from references import BrusanLog, lucas_pd  # noqa: E402

import walras  # noqa: E402

DOCS = ROOT / "docs" / "models"


def lucas() -> None:
    ds = walras.solve("lucas", method="neural").dataset
    fig, (a, b) = plt.subplots(1, 2, figsize=(9, 3.2))
    a.plot(ds.y, ds.pd, label="walras (neural)")
    a.axhline(lucas_pd(), ls="--", c="k", lw=0.8, label="closed form")
    a.set(xlabel="y", ylabel="price-dividend ratio", title="pd(y)")
    a.legend()
    b.semilogy(ds.y, np.abs(ds.pd / lucas_pd() - 1))
    b.set(xlabel="y", title="relative error of pd")
    fig.tight_layout()
    fig.savefig(DOCS / "lucas.png", dpi=110)


def brusan() -> None:
    ref = BrusanLog().solve()
    eta = np.linspace(0.005, 0.995, 397)
    ds = walras.solve("brusan_log", method="neural").evaluate(eta[:, None])
    fig, axes = plt.subplots(1, 3, figsize=(12, 3.2))
    axes[0].plot(eta, ds.q, label="walras (neural)")
    axes[0].plot(eta, ref.q(eta), "k--", lw=0.8, label="ODE reference")
    axes[0].set(xlabel="η", title="price of capital q")
    axes[0].legend()
    axes[1].plot(eta, ds.psi)
    axes[1].plot(eta, ref.psi(eta), "k--", lw=0.8)
    axes[1].axvline(ref.eta_star, c="grey", lw=0.6)
    axes[1].set(xlabel="η", title="experts' capital share ψ")
    axes[2].semilogy(eta, np.abs(ds.q / ref.q(eta) - 1), label="q, relative")
    axes[2].semilogy(eta, np.abs(ds.psi - ref.psi(eta)) + 1e-17, label="ψ, absolute")
    axes[2].set(xlabel="η", title="error against the reference")
    axes[2].legend()
    fig.tight_layout()
    fig.savefig(DOCS / "brusan_log.png", dpi=110)


if __name__ == "__main__":
    lucas()
    brusan()
