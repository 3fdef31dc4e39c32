"""PNG figures of a solution: one panel per unknown and main definition, along the first state."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import xarray as xr  # noqa: E402

PER_FIGURE = 6


def _lines(ax, da: xr.DataArray, x: str):
    if da.ndim == 1:
        ax.plot(da[x].values, da.values)
        return
    other = [d for d in da.dims if d != x]
    sub = da.transpose(x, *other).values.reshape(da.sizes[x], -1)
    for j in np.linspace(0, sub.shape[1] - 1, min(5, sub.shape[1])).astype(int):
        ax.plot(da[x].values, sub[:, j], alpha=0.8)


def plot_results(path: str | Path, folder: str | Path | None = None) -> list[Path]:
    """Figures of the unknowns, then the definitions, of a results file; returns the PNG paths."""
    ds = xr.open_dataset(path, engine="h5netcdf")
    folder = Path(folder) if folder else Path(path).with_suffix("")
    folder.mkdir(parents=True, exist_ok=True)
    states = [d for d in ds.dims if d in ds.coords and d not in ("step", "shock", "agent")]
    if not states:
        raise ValueError("the results have no state coordinate to plot against")
    x = states[0]
    names = [v for v in ds.data_vars if x in ds[v].dims and not v.startswith("residual_")]
    paths = []
    for start in range(0, len(names), PER_FIGURE):
        chunk = names[start:start + PER_FIGURE]
        cols = min(3, len(chunk))
        rows = -(-len(chunk) // cols)
        fig, axes = plt.subplots(rows, cols, figsize=(4 * cols, 3 * rows), squeeze=False)
        for ax, name in zip(axes.ravel(), chunk):
            _lines(ax, ds[name], x)
            ax.set_title(name)
            ax.set_xlabel(x)
            ax.grid(alpha=0.3)
        for ax in axes.ravel()[len(chunk):]:
            ax.axis("off")
        fig.suptitle(f"{ds.attrs.get('model', '')}: {ds.attrs.get('title', '')}")
        fig.tight_layout()
        target = folder / f"{ds.attrs.get('model', 'results')}_{start // PER_FIGURE + 1}.png"
        fig.savefig(target, dpi=110)
        plt.close(fig)
        paths.append(target)
    if "loss" in ds:
        fig, ax = plt.subplots(figsize=(5, 3))
        ax.semilogy(ds["loss"].values)
        ax.set_xlabel("step")
        ax.set_ylabel("loss")
        fig.tight_layout()
        target = folder / f"{ds.attrs.get('model', 'results')}_loss.png"
        fig.savefig(target, dpi=110)
        plt.close(fig)
        paths.append(target)
    ds.close()
    return paths
