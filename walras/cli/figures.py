"""`walras plot`: PNG figures of a solution, one panel per unknown and definition, along the
first state; and the solver's histories (the loss per step) on a log scale."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import xarray as xr  # noqa: E402

from ..runtime.schema import Role, role_of, state_dims  # noqa: E402

PER_FIGURE = 6
PLOTTED = {Role.UNKNOWN, Role.DEFINITION}


def plot_results(path: str | Path, folder: str | Path | None = None) -> list[Path]:
    """Figures of the unknowns, then the definitions, of a results file; returns the PNG paths."""
    folder = Path(folder) if folder else Path(path).with_suffix("")
    with xr.open_dataset(path, engine="h5netcdf") as ds:
        grid = state_dims(ds)
        if not grid:
            raise ValueError("the results have no state coordinate to plot against")
        x = grid[0]
        names = [v for v in ds.data_vars if role_of(ds[v]) in PLOTTED and x in ds[v].dims]
        names.sort(key=lambda v: role_of(ds[v]) != Role.UNKNOWN)
        folder.mkdir(parents=True, exist_ok=True)
        stem = folder / str(ds.attrs.get("model", "results"))
        paths = [
            _panels(ds, names[start : start + PER_FIGURE], x, f"{stem}_{n + 1}.png")
            for n, start in enumerate(range(0, len(names), PER_FIGURE))
        ]
        history = [v for v in ds.data_vars if role_of(ds[v]) == Role.HISTORY and ds[v].ndim == 1]
        if history:
            paths.append(_histories(ds, history, f"{stem}_history.png"))
    return paths


def _panels(ds: xr.Dataset, names: list[str], x: str, target: str) -> Path:
    """One figure of up to `PER_FIGURE` panels, each variable against the state `x`."""
    cols = min(3, len(names))
    rows = -(-len(names) // cols)
    fig, axes = plt.subplots(rows, cols, figsize=(4 * cols, 3 * rows), squeeze=False)
    for ax, name in zip(axes.ravel(), names):
        _lines(ax, ds[name], x)
        ax.set_title(name)
        ax.set_xlabel(x)
        ax.grid(alpha=0.3)
    for ax in axes.ravel()[len(names) :]:
        ax.axis("off")
    fig.suptitle(f"{ds.attrs.get('model', '')}: {ds.attrs.get('title', '')}")
    return _save(fig, target)


def _lines(ax, da: xr.DataArray, x: str) -> None:
    """`da` against `x`; up to five lines across its other dimensions."""
    if da.ndim == 1:
        ax.plot(da[x].values, da.values)
        return
    other = [d for d in da.dims if d != x]
    sub = da.transpose(x, *other).values.reshape(da.sizes[x], -1)
    for j in np.linspace(0, sub.shape[1] - 1, min(5, sub.shape[1])).astype(int):
        ax.plot(da[x].values, sub[:, j], alpha=0.8)


def _histories(ds: xr.Dataset, names: list[str], target: str) -> Path:
    """Per-iteration records on a log scale, one line each."""
    fig, ax = plt.subplots(figsize=(5, 3))
    for name in names:
        ax.semilogy(ds[name].values, label=ds[name].attrs.get("long_name", name))
    ax.set_xlabel(ds[names[0]].dims[0])
    ax.legend(fontsize="small")
    return _save(fig, target)


def _save(fig, target: str) -> Path:
    fig.tight_layout()
    fig.savefig(target, dpi=110)
    plt.close(fig)
    return Path(target)
