"""Data for factor models: bundled Fama-French data, CSV, Parquet, NetCDF, xarray or pandas.

Two shapes come out. `Wide`: one column per test asset and per factor, indexed by date (portfolio
tests). `Panel`: a (time, entity) grid of returns and lagged characteristics with a mask of the
observed cells (latent-factor models). Bad data raise `EconError` naming the columns or dates.
"""

from __future__ import annotations

import difflib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr

from ...compiler.factors import FactorSpec
from ...grammar.diagnostics import Diagnostic, EconError, Span
from ...models import LIBRARY
from .identification import identified

BUNDLED = {"french": ("french.csv.bz2", "dates")}
READABLE = (
    "pass a pandas DataFrame, an xarray Dataset, a dict of frames indexed by dates, or a path"
)


@dataclass(frozen=True)
class Wide:
    dates: pd.DatetimeIndex
    assets: tuple[str, ...]
    factor_names: tuple[str, ...]
    returns: np.ndarray  # (T, N) excess returns
    factors: np.ndarray  # (T, K)
    dropped: int = 0  # rows dropped for missing (or infinite) values
    missing: tuple[tuple[str, int], ...] = ()  # (column, its missing cells) in those rows
    dropped_dates: str = ""  # the first of them

    def dropped_attrs(self) -> dict:
        """What was dropped and why, as result attributes (none when nothing was dropped)."""
        if not self.dropped:
            return {}
        return {
            "dropped_rows": self.dropped,
            "dropped_columns": json.dumps(dict(self.missing)),
            "dropped_dates": self.dropped_dates,
        }


@dataclass(frozen=True)
class Panel:
    dates: pd.DatetimeIndex
    entities: tuple
    characteristics: tuple[str, ...]
    returns: np.ndarray  # (T, N), 0 where missing
    chars: np.ndarray  # (T, N, L), lagged, 0 where missing
    mask: np.ndarray  # (T, N) bool: return and every characteristic observed


def fail(code: str, message: str, span: Span | None = None, hint: str | None = None):
    raise EconError([Diagnostic(code, message, span, hint)])


def load(spec: FactorSpec, data: Any = None) -> Wide | Panel:
    """Read the data a spec names (or `data` from Python) into the shape its estimators need."""
    frame = _simulated(spec, data) if spec.data.layout == "simulation" else _frame(spec, data)
    return _panel(spec, frame) if spec.data.layout == "panel" else _wide(spec, frame)


def bundled(name: str) -> pd.DataFrame:
    """A bundled dataset as a frame (`french`: monthly Fama-French factors and portfolios)."""
    return pd.read_csv(LIBRARY / "data" / BUNDLED[name][0])


# --- reading -----------------------------------------------------------------------------------


def _frame(spec: FactorSpec, data: Any) -> pd.DataFrame:
    span = spec.spans.get("data")
    if data is None:
        if spec.data.dataset is not None:
            return bundled(spec.data.dataset)
        if spec.data.path is None:
            fail("F101", f"'{spec.name}' reads its data from Python; pass data=...", span)
        data = spec.data.path
    if isinstance(data, xr.DataArray):
        data = data.to_dataset(name=data.name or spec.returns[0])
    if isinstance(data, xr.Dataset):
        return data.to_dataframe().reset_index()
    if isinstance(data, pd.Series):
        data = data.to_frame()
    if isinstance(data, pd.DataFrame):
        return data.reset_index() if _named_index(data) else data
    if isinstance(data, dict):  # separate frames (returns, factors): align them on their dates
        return _join(spec, data)
    if not isinstance(data, (str, Path)):
        fail("F102", f"cannot read data of type {type(data).__name__}", span, READABLE)
    return _read(Path(data), spec.data.format, span)


def _simulated(spec: FactorSpec, data: Any) -> pd.DataFrame:
    """The steps of a simulation (`walras.runtime.steps`), from its file or a Dataset."""
    from ..steps import steps

    span = spec.spans.get("data")
    if data is None:
        if not spec.data.path.exists():
            fail("F102", f"simulation file '{spec.data.path}' does not exist", span)
        try:
            with xr.open_dataset(spec.data.path, engine="h5netcdf") as ds:
                data = ds.load()
        except (OSError, ValueError) as e:
            fail("F102", f"cannot read '{spec.data.path}': {e}", span)
    if not isinstance(data, xr.Dataset):
        fail("F102", f"cannot read a simulation of type {type(data).__name__}", span, READABLE)
    try:
        return steps(data, spec.data.time)
    except ValueError as e:
        fail("F102", f"'{spec.data.path or 'data'}' is {e}", span, "write it with walras simulate")


def _named_index(df: pd.DataFrame) -> bool:
    return any(n is not None for n in df.index.names)


def _read(path: Path, fmt: str | None, span: Span | None) -> pd.DataFrame:
    if not path.exists():
        fail("F102", f"data file '{path}' does not exist", span)
    fmt = fmt or {
        ".csv": "csv",
        ".bz2": "csv",
        ".gz": "csv",
        ".parquet": "parquet",
        ".pq": "parquet",
        ".nc": "netcdf",
        ".nc4": "netcdf",
    }.get(path.suffix.lower())
    try:
        if fmt == "csv":
            return pd.read_csv(path)
        if fmt == "parquet":
            df = pd.read_parquet(path)
            return df.reset_index() if _named_index(df) else df
        if fmt == "netcdf":
            with xr.open_dataset(path, engine="h5netcdf") as ds:
                return ds.load().to_dataframe().reset_index()
    except (OSError, ValueError) as e:
        fail("F102", f"cannot read '{path}': {e}", span)
    fail(
        "F102",
        f"cannot tell the format of '{path}'",
        span,
        "name it .csv, .parquet or .nc, or write 'format = csv' in the data statement",
    )


def _join(spec: FactorSpec, parts: dict) -> pd.DataFrame:
    frames = []
    for key, df in parts.items():
        if not isinstance(df, (pd.Series, pd.DataFrame, xr.Dataset)):
            fail("F102", f"cannot read data['{key}'] of type {type(df).__name__}", None, READABLE)
        df = df.to_frame() if isinstance(df, pd.Series) else df
        if isinstance(df, xr.Dataset):
            df = df.to_dataframe()
        frames.append((key, df))
    first_key, first = frames[0]
    for key, df in frames[1:]:
        only_a = first.index.difference(df.index)
        only_b = df.index.difference(first.index)
        if len(only_a) or len(only_b):
            fail(
                "F105",
                f"the dates of '{first_key}' and '{key}' do not line up: "
                + "; ".join(
                    f"{len(d)} only in '{k}' ({_dates(d)})"
                    for k, d in ((first_key, only_a), (key, only_b))
                    if len(d)
                ),
                spec.spans.get("data"),
                "pass frames indexed by the same dates",
            )
    out = pd.concat([df for _, df in frames], axis=1)
    out.index.name = out.index.name or spec.data.time
    return out.reset_index()


def rows(n: int) -> str:
    return f"{n} row{'s' if n != 1 else ''}"


def _dates(idx) -> str:
    vals = [str(pd.Timestamp(v).date()) if _is_date(v) else str(v) for v in list(idx)[:3]]
    return ", ".join(vals) + (", …" if len(idx) > 3 else "")


def _is_date(v) -> bool:
    return isinstance(v, (pd.Timestamp, np.datetime64)) or hasattr(v, "year")


# --- columns -----------------------------------------------------------------------------------


def _time_column(spec: FactorSpec, df: pd.DataFrame) -> str:
    candidates = [spec.data.time]
    if spec.data.dataset:
        candidates.insert(0, BUNDLED[spec.data.dataset][1])
    for c in candidates:
        if c in df.columns:
            return c
    fail(
        "F103",
        f"the data have no time column '{spec.data.time}'",
        spec.spans.get("data"),
        suggest(spec.data.time, df.columns) or "write 'time = COLUMN' in the data statement",
    )


def suggest(name: str, columns) -> str | None:
    """A close column name: by difflib ignoring case, else one that begins the other
    (`Momentum` -> `Mom`)."""
    by_lower = {c.lower(): c for c in map(str, columns)}
    close = difflib.get_close_matches(name.lower(), list(by_lower), n=1, cutoff=0.6)
    if not close:
        low = name.lower()
        close = [
            c
            for c in by_lower
            if min(len(c), len(low)) >= 3 and (low.startswith(c) or c.startswith(low))
        ]
    return f"did you mean '{by_lower[close[0]]}'?" if close else None


def _require(df: pd.DataFrame, groups: dict[str, tuple], spec: FactorSpec) -> None:
    """Every column the block names (by statement) is in the data; all the missing ones are
    reported at once, each at its place with a close name when there is one."""
    cols = list(map(str, df.columns))
    listing = f"the columns are: {', '.join(cols[:12])}{' …' if len(cols) > 12 else ''}"
    errors = [
        Diagnostic(
            "F103",
            f"column '{n}' not in the data",
            spec.spans.get(f"column {n}", spec.spans.get(where)),
            suggest(n, cols) or listing,
        )
        for where, names in groups.items()
        for n in names
        if n not in df.columns
    ]
    if errors:
        raise EconError(errors)


def _numeric(df: pd.DataFrame, names, labels, spec: FactorSpec, where: str) -> np.ndarray:
    out = np.empty((len(df), len(names)))
    for j, n in enumerate(names):
        col = df[n]
        values = pd.to_numeric(col, errors="coerce")
        bad = values.isna() & col.notna()
        if bad.any():
            i = int(np.argmax(bad.to_numpy()))
            fail(
                "F104",
                f"column '{n}' has a non-numeric value {col.iloc[i]!r} at {labels[i]}",
                spec.spans.get(where),
            )
        out[:, j] = values.to_numpy(dtype=float)
    return out


def _parse_dates(df: pd.DataFrame, col: str, spec: FactorSpec) -> pd.DatetimeIndex:
    raw = df[col]
    if pd.api.types.is_datetime64_any_dtype(raw):
        return pd.DatetimeIndex(raw)
    if isinstance(raw.dtype, pd.PeriodDtype):
        return pd.PeriodIndex(raw).to_timestamp()
    parsed = pd.to_datetime(raw.astype(str), errors="coerce")
    if parsed.isna().any():
        i = int(np.argmax(parsed.isna().to_numpy()))
        fail(
            "F104",
            f"time column '{col}' has a value that is not a date: {raw.iloc[i]!r} (row {i + 1})",
            spec.spans.get("data"),
        )
    return pd.DatetimeIndex(parsed)


# --- wide: one column per asset ----------------------------------------------------------------


def _wide(spec: FactorSpec, df: pd.DataFrame) -> Wide:
    tcol = _time_column(spec, df)
    rf = (spec.risk_free,) if spec.risk_free else ()
    _require(df, {"returns": spec.returns + rf, "factors": spec.factors}, spec)
    dates = _parse_dates(df, tcol, spec)
    dup = dates[dates.duplicated()]
    if len(dup):
        fail(
            "F105",
            f"{len(dup)} duplicated date{'s' if len(dup) > 1 else ''} in '{tcol}': {_dates(dup)}",
            spec.spans.get("data"),
            "each date must appear once in wide data",
        )
    labels = [str(d.date()) for d in dates]
    r = _numeric(df, spec.returns, labels, spec, "returns")
    f = _numeric(df, spec.factors, labels, spec, "factors")
    rf = _numeric(df, (spec.risk_free,), labels, spec, "returns") if spec.risk_free else None
    order = np.argsort(dates.values, kind="stable")
    rf = rf[order] if rf is not None else None
    return _complete_rows(spec, dates[order], r[order], f[order], rf)


def _complete_rows(spec: FactorSpec, dates, r, f, rf) -> Wide:
    """The rows with a value in every column used, and a count of the others by column."""
    used = spec.returns + spec.factors + ((spec.risk_free,) if spec.risk_free else ())
    missing = ~np.isfinite(np.column_stack([r, f] if rf is None else [r, f, rf]))
    keep = ~missing.any(1)
    counts = tuple((n, int(c)) for n, c in zip(used, missing.sum(0)) if c)
    if not keep.any():
        fail(
            "F106",
            f"every one of the {len(keep)} rows has a missing value in a column the block uses: "
            + ", ".join(f"'{n}' in {rows(c)}" for n, c in counts),
            spec.spans.get("data"),
            "fill or drop the columns with missing values",
        )
    r = (r if rf is None else r - rf)[keep]
    identified(spec, r, f[keep])
    return Wide(
        pd.DatetimeIndex(dates[keep]),
        spec.returns,
        spec.factors,
        r,
        f[keep],
        int((~keep).sum()),
        counts,
        _dates(dates[~keep]),
    )


# --- panel: entity x time ----------------------------------------------------------------------


def _panel(spec: FactorSpec, df: pd.DataFrame) -> Panel:
    tcol = _time_column(spec, df)
    ecol = spec.data.entity
    if ecol not in df.columns:
        fail(
            "F103",
            f"the data have no entity column '{ecol}'",
            spec.spans.get("data"),
            suggest(ecol, df.columns) or "write 'entity = COLUMN' in the data statement",
        )
    _require(df, {"returns": spec.returns, "instruments": spec.instruments}, spec)
    dates = _parse_dates(df, tcol, spec)
    keys = pd.MultiIndex.from_arrays([df[ecol].to_numpy(), dates])
    dup = keys.duplicated()
    if dup.any():
        e, d = keys[int(np.argmax(dup))]
        fail(
            "F105",
            f"entity {e!r} has {int(dup.sum())} duplicated (entity, date) rows, "
            f"first on {pd.Timestamp(d).date()}",
            spec.spans.get("data"),
        )
    labels = [f"{e} {pd.Timestamp(d).date()}" for e, d in keys]
    r = _numeric(df, spec.returns, labels, spec, "returns")[:, 0]
    x = _numeric(df, spec.instruments, labels, spec, "instruments")
    grid = pd.DatetimeIndex(np.unique(dates.values))
    entities = _sorted(pd.Index(pd.unique(df[ecol].to_numpy())))
    ti = grid.get_indexer(dates)
    ei = entities.get_indexer(df[ecol].to_numpy())
    T, N, L = len(grid), len(entities), len(spec.instruments)
    R = np.full((T, N), np.nan)
    X = np.full((T, N, L), np.nan)
    R[ti, ei] = r
    X[ti, ei] = x
    if spec.lag:  # the characteristic used at t is the one observed `lag` periods before
        X = np.concatenate([np.full((spec.lag, N, L), np.nan), X[: -spec.lag]], axis=0)
    mask = np.isfinite(R) & np.isfinite(X).all(-1)
    if not mask.any():
        fail(
            "F106",
            "no (entity, date) cell has a return and every characteristic"
            + (f" lagged {spec.lag}" if spec.lag else ""),
            spec.spans.get("instruments"),
        )
    R = np.where(mask, R, 0.0)
    X = np.where(mask[..., None], X, 0.0)
    return Panel(grid, tuple(entities), spec.instruments, R, X, mask)


def _sorted(labels: pd.Index) -> pd.Index:
    """Labels in order; by their text when they mix kinds (numbers and strings)."""
    try:
        return labels.sort_values()
    except TypeError:
        return labels[np.argsort(labels.astype(str).to_numpy(), kind="stable")]


def require_periods(n_periods: int, needed: int, what: str, dates: pd.DatetimeIndex) -> None:
    """Fewer periods than parameters: say how many there are and which."""
    if n_periods < needed:
        span = f" ({dates[0].date()} to {dates[-1].date()})" if len(dates) else ""
        fail("F107", f"{what} needs at least {needed} periods; the data have {n_periods}{span}")
