"""`walras plot`: PNG figures of a result file.

A solution: one panel per unknown, then per definition (declaration order), against the first
state; a second state as slices and a `shock` dimension as one line per shock, with legends. Titles
are the model's descriptions with the symbol; the caption gives the parameters, the variables left
out and, for an unconverged result, the solver's message. A factor-model result goes to
`factor_figures`. The solver's histories go in a figure of their own on a log scale."""

from __future__ import annotations

import itertools
import json
import textwrap
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import xarray as xr  # noqa: E402

from ..runtime.schema import Role, role_of, state_dims  # noqa: E402
from .factor_figures import is_factor_result, plot_factors  # noqa: E402
from .identities import EXACT, left_out  # noqa: E402

PER_FIGURE = 6
SLICES = 5  # lines drawn across a second state
FLAT = 1e-6  # a series whose spread is below this fraction of its size is drawn as flat
PLOTTED = {Role.UNKNOWN, Role.DEFINITION, Role.DISTRIBUTION}
NOT_CONVERGED = "NOT CONVERGED"


def plot_results(path: str | Path, folder: str | Path | None = None) -> list[Path]:
    """Figures of a results file (a solution or a factor-model estimate); returns the PNG paths."""
    folder = Path(folder) if folder else Path(path).with_suffix("")
    with xr.open_dataset(path, engine="h5netcdf") as ds:
        stem = str(ds.attrs.get("model", "results"))
        if is_factor_result(ds):
            folder.mkdir(parents=True, exist_ok=True)
            return plot_factors(ds, folder / stem)
        grid = state_dims(ds)
        if not grid:
            raise ValueError("the results have no state coordinate to plot against")
        figures = solution_figures(ds)
        folder.mkdir(parents=True, exist_ok=True)
        paths = [_save(fig, folder / f"{stem}_{n + 1}.png") for n, fig in enumerate(figures)]
        history = [v for v in ds.data_vars if role_of(ds[v]) == Role.HISTORY and ds[v].ndim == 1]
        if history:
            paths.append(_save(_histories(ds, history), folder / f"{stem}_history.png"))
    return paths


def solution_figures(ds: xr.Dataset) -> list[plt.Figure]:
    """The pages of panels of a solution: unknowns first, then the definitions that are not
    identities or constants (see `identities.left_out`)."""
    x = state_dims(ds)[0]
    names = [v for v in ds.data_vars if role_of(ds[v]) in PLOTTED and x in ds[v].dims]
    names.sort(key=lambda v: role_of(ds[v]) != Role.UNKNOWN)  # stable: file order within a role
    dropped = left_out(ds, names)
    shown = [v for v in names if v not in dropped]
    pages = [shown[i : i + PER_FIGURE] for i in range(0, len(shown), PER_FIGURE)]
    notes = _caption(ds, dropped)
    return [_panels(ds, page, x, notes) for page in pages]


def label(da: xr.DataArray, name: str) -> str:
    """`long_name (symbol)`, or the symbol alone when the model describes it nowhere."""
    doc = da.attrs.get("long_name")
    return f"{doc} ({name})" if doc else name


def _panels(ds: xr.Dataset, names: list[str], x: str, notes: list[str]) -> plt.Figure:
    cols = min(3, len(names))
    rows = -(-len(names) // cols)
    caption = "\n".join(textwrap.fill(n, 40 + 55 * cols) for n in notes)
    below = 0.17 * (caption.count("\n") + 1) + 0.15  # inches kept for the caption
    height = 3.3 * rows + below
    fig, axes = plt.subplots(rows, cols, figsize=(4.4 * cols, height), squeeze=False)
    for ax, name in zip(axes.ravel(), names):
        _lines(ax, ds[name], x)
        ax.set_title("\n".join(textwrap.wrap(label(ds[name], name), 42)), fontsize="medium")
        ax.set_ylabel(name)
        ax.set_xlabel(label(ds[x], x))
        ax.grid(alpha=0.3)
        _plain_axis(ax, ds[name].values)
    for ax in axes.ravel()[len(names) :]:
        ax.axis("off")
    title = f"{ds.attrs.get('model', '')}: {ds.attrs.get('title', '')}"
    if not ds.attrs.get("converged", 1):
        title = f"{NOT_CONVERGED}: {title}"
    fig.suptitle(title, color="black" if ds.attrs.get("converged", 1) else "darkred")
    fig.text(0.01, 0.01, caption, fontsize="small", va="bottom", ha="left", gid="caption")
    fig.tight_layout(rect=(0, below / height, 1, 1))
    return fig


def _lines(ax, da: xr.DataArray, x: str) -> None:
    """`da` against `x`: one line, or one per slice of a second state and per shock, labelled."""
    other = [d for d in da.dims if d != x and not _flat_along(da, d)]
    da = da.isel({d: 0 for d in da.dims if d != x and d not in other})
    picks = [_indices(da, d) for d in other]
    for combo in itertools.product(*picks):
        sel = dict(zip(other, combo))
        line = da.isel(sel)
        text = ", ".join(_coordinate(da, d, i) for d, i in sel.items())
        ax.plot(da[x].values, line.values, alpha=0.9, label=text or None)
    if other:
        ax.legend(fontsize="x-small", title=", ".join(other), title_fontsize="x-small")


def _flat_along(da: xr.DataArray, dim: str) -> bool:
    """Whether `da` does not change along `dim` (then one line stands for all)."""
    spread = da.max(dim) - da.min(dim)
    return bool((spread <= EXACT * float(np.nanmax(np.abs(da.values)) or 1.0)).all())


def _indices(da: xr.DataArray, dim: str) -> list[int]:
    n = da.sizes[dim]
    if dim == "shock" or n <= SLICES:
        return list(range(n))
    return sorted(set(np.linspace(0, n - 1, SLICES).round().astype(int).tolist()))


def _coordinate(da: xr.DataArray, dim: str, i: int) -> str:
    if dim not in da.coords:
        return f"{dim} {i}"
    value = da[dim].values[i]
    return f"{dim} = {value:.3g}" if np.issubdtype(type(value), np.number) else str(value)


def _plain_axis(ax, values: np.ndarray) -> None:
    """No offset notation; a flat series drawn flat, centred, instead of its rounding noise."""
    ax.ticklabel_format(axis="y", useOffset=False, style="plain")
    finite = values[np.isfinite(values)]
    if finite.size == 0:
        return
    centre, spread = float(np.mean(finite)), float(np.ptp(finite))
    if spread <= FLAT * max(abs(centre), 1e-300):
        half = 0.05 * abs(centre) if centre else 1.0
        ax.set_ylim(centre - half, centre + half)


def _caption(ds: xr.Dataset, dropped: dict[str, str]) -> list[str]:
    """Parameters (overrides marked *), the variables left out and, unconverged, the message."""
    params = json.loads(ds.attrs.get("parameters", "{}"))
    changed = overridden(ds.attrs.get("model", ""), ds.attrs.get("title", ""), params)
    parts = [
        "parameters: "
        + ", ".join(f"{k} = {v:.6g}" + ("*" if k in changed else "") for k, v in params.items())
        + (" (* differs from the model file)" if changed else "")
    ]
    if dropped:
        parts.append("not shown: " + "; ".join(f"{k} {why}" for k, why in dropped.items()))
    method = ds.attrs.get("method", "")
    message = ds.attrs.get("message", "")
    if not ds.attrs.get("converged", 1):
        parts.append(f"{NOT_CONVERGED} ({method}): {message}")
    elif method:
        parts.append(f"solved by {method}")
    return parts


def overridden(model: str, title: str, params: dict[str, float]) -> set[str]:
    """Parameters whose value differs from the bundled model of that name and title (empty when
    the result does not come from a bundled model)."""
    from .. import api
    from ..grammar.diagnostics import EconError
    from ..models import LIBRARY, library

    if model not in library():
        return set()
    try:
        bundled = api.load(LIBRARY / f"{model}.econ")
        if (bundled.checked.title or "") != title:
            return set()
        defaults = bundled.params
    except EconError:
        return set()
    return {k for k, v in params.items() if k in defaults and not np.isclose(v, defaults[k])}


def _histories(ds: xr.Dataset, names: list[str]) -> plt.Figure:
    """Per-iteration records on a log scale, one line each."""
    fig, ax = plt.subplots(figsize=(5, 3))
    for name in names:
        ax.semilogy(ds[name].values, label=label(ds[name], name))
    ax.set_xlabel(ds[names[0]].dims[0])
    ax.set_ylabel(names[0] if len(names) == 1 else "value")
    ax.legend(fontsize="small")
    fig.tight_layout()
    return fig


def _save(fig: plt.Figure, target: Path) -> Path:
    fig.savefig(target, dpi=110)
    plt.close(fig)
    return target
