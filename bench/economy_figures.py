"""Figures of the economy-level library models for docs/models/: price-dividend ratios, portfolio
shares, riskless rate and risk premia against the first state (a wealth share or a tree's
dividend share). Run: python bench/economy_figures.py NAME FILE.nc"""

from __future__ import annotations

import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import xarray as xr  # noqa: E402

PANELS = (
    ("pd", "price-dividend ratio"),
    ("theta", "share of wealth in the risky assets"),
    ("r", "riskless rate"),
    ("risk_premium", "risk premium"),
)


def figure(name: str, results: str | Path, out: Path | None = None) -> Path:
    ds = xr.open_dataset(results)
    eta = next(c for c in ds.coords if str(c).startswith(("eta_", "s_")))
    fig, axes = plt.subplots(1, 4, figsize=(14, 3.2))
    for ax, (key, title) in zip(axes, PANELS):
        names = [v for v in ds.data_vars if v == key or v.startswith(key + "_")]
        for v in names:
            ax.plot(ds[eta], ds[v], label=v)
        values = abs(ds[names[0]].values)
        if values.min() > 0 and values.max() > 100 * values.min():  # a levered share
            ax.set_yscale("log")
        ax.set_title(title)
        ax.set_xlabel(eta)
        if len(names) > 1:
            ax.legend(fontsize=8)
    fig.tight_layout()
    out = out or Path(__file__).parents[1] / "docs" / "models" / f"{name}.png"
    fig.savefig(out, dpi=110)
    return out


if __name__ == "__main__":
    print(figure(sys.argv[1], sys.argv[2]))
