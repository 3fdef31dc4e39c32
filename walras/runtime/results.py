"""Solutions as labelled data: the evaluation grid, the xarray Dataset and atomic NetCDF writes."""

from __future__ import annotations

import dataclasses
import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import jax
import numpy as np

from .._version import __version__
from ..compiler.codegen import Compiled
from ..settings import Settings
from . import cache, plausible
from . import points as points_module
from .devices import is_writer
from .domain import Domain
from .output import beside, write_atomic
from .points import mesh as mesh  # the grid of every combination, for the solvers
from .schema import Role, tag
from .solvers.base import Outcome

if TYPE_CHECKING:  # xarray loads when results are labelled, not when a solve runs
    import xarray as xr

MAX_GRID_POINTS = 100_000
MAX_GRID_STATES = 3  # beyond, results at points drawn from the domain
SAMPLE_POINTS = 10_000


def grid_axes(compiled: Compiled, n: int) -> dict[str, np.ndarray]:
    """Cell centres along each continuous state: the open interior, so edge singularities stay
    off-grid; the values of a discrete state."""
    states = compiled.model.states
    if not states:
        return {}
    continuous = sum(not s.discrete for s in states)
    n = max(2, min(n, int(MAX_GRID_POINTS ** (1 / max(continuous, 1)))))
    return {
        s.name: np.asarray(s.values)
        if s.discrete
        else s.lo + (s.hi - s.lo) * (np.arange(n) + 0.5) / n
        for s in states
    }


def write_netcdf(ds: xr.Dataset, path: str | Path) -> Path:
    """Write `ds` safely (`output.write_atomic`); returns the path written. Results of a solve
    that did not converge (the attribute `converged` is 0) do not replace a file already there:
    they go beside it, as NAME.unconverged.nc. Of the processes of a multi-host run, only the
    first writes (they hold the same results)."""
    path = Path(path)
    if not ds.attrs.get("converged", 1) and os.path.lexists(path):
        path = beside(path, "unconverged")
    if is_writer():
        write_atomic(path, lambda tmp: ds.to_netcdf(tmp, engine="h5netcdf"))
    return path


def by_shock(data: dict[str, xr.DataArray], shocks) -> dict[str, xr.DataArray]:
    """Quantities given shock by shock (`sigma_R_Z`, `sigma_R_W`) become one variable with a
    `shock` dimension (`sigma_R`), when there are several shocks and the name is free."""
    import xarray as xr

    if len(shocks) < 2:
        return data
    suffix = f"_{shocks[0]}"
    groups = {}
    for name in data:
        base = name.removesuffix(suffix)
        parts = [f"{base}_{k}" for k in shocks]
        if name != base and base not in data and all(p in data for p in parts):
            groups[name] = parts
    merged = {p for parts in groups.values() for p in parts}
    out = {}
    for name, da in data.items():  # in the order given: a merged variable where its first part was
        if name in groups:
            out[name.removesuffix(suffix)] = (
                xr.concat([data[p] for p in groups[name]], dim="shock")
                .assign_coords(shock=list(shocks))
                .transpose(..., "shock")
            )
        elif name not in merged:
            out[name] = da
    return out


class Deferred(Mapping):
    """A mapping built by `build()` on first use: a solver's labelled evidence (xarray) is made
    when the results are labelled, not in every solve."""

    def __init__(self, build):
        self._build, self._data = build, None

    def _built(self) -> Mapping:
        if self._data is None:
            self._data = self._build()
        return self._data

    def __getitem__(self, key):
        return self._built()[key]

    def __iter__(self):
        return iter(self._built())

    def __len__(self) -> int:
        return len(self._built())


@dataclass
class Solution:
    """A solved model: its approximators, the compiled functions and the labelled results."""

    compiled: Compiled
    fields: Mapping
    params: Mapping[str, float]
    settings: Settings
    history: np.ndarray  # loss per step (Adam, then polish)
    outcome: Outcome
    validation: Mapping[str, float]  # mean squared residual per equation, fresh points
    message: str = ""
    extra: Mapping[str, xr.DataArray] = field(default_factory=dict)
    errors: Mapping[str, float] = field(default_factory=dict)  # estimated error per unknown,
    # relative to its largest size on the domain (compared with the setting `tol_error`)
    cuts: Mapping[str, float] = field(default_factory=dict)  # state -> where the results start
    # along it, when a solver cut its zero edge: below, nothing was solved or measured
    derived_errors: Mapping[str, float] = field(default_factory=dict)  # the same for each
    # described definition (`derived`; by collocation the truncation only, not what a cut
    # leaves): reported, not compared with `tol_error`
    _dataset: xr.Dataset | None = field(default=None, repr=False)

    @property
    def converged(self) -> bool:
        return self.outcome.converged

    def evaluate(self, points, extrapolate: bool = False) -> xr.Dataset:
        """Every unknown, definition and residual at `points`.

        `points`: an (n, states) array; with one state also a 1-D array of n points; with several
        states a 1-D array of one value per state (one point); a mapping state -> 1-D array (a
        grid, in the model's order of states); or a pandas DataFrame with a column per state.
        Another shape, NaN or infinite coordinates, or a mapping or table that misses a state or
        names another raise `EconError` (E155-E157).

        The boolean variable `inside` (role evidence) marks the points in the domain the model
        was solved on, edges included. Outside it the solution is an extrapolation: the values
        there are NaN and a `W155` warning (`ExtrapolationWarning`) says how many points and
        how far; `extrapolate=True` keeps the computed values, without the warning. Where a
        solver cut a zero edge (`cuts`), the points below the cut are outside too (warning
        `W184`): the expansions continue there as power laws that nothing measured.
        """
        import xarray as xr

        states = {s.name: s for s in self.compiled.model.states}
        states = [states[name] for name in self.compiled.states]
        at = points_module.parse(points, states)
        ds = self._at(at)
        if not states:
            return ds
        domain = Domain.of(self.compiled.model, self.compiled.states)
        beyond = ~domain.inside(at.x)
        below = points_module.below_cuts(at.x, states, self.cuts) & ~beyond
        out = beyond | below
        inside = xr.DataArray(~out.reshape(at.shape), dims=at.dims)
        if out.any() and not extrapolate:
            if beyond.any():
                points_module.warn_outside(at.x, states, domain.simplices)
            if below.any():
                points_module.warn_below_cuts(at.x[below], states, self.cuts)
            ds = ds.map(lambda v: v.where(inside), keep_attrs=True)
        ds["inside"] = tag(inside, Role.EVIDENCE, long_name="point in the model's domain")
        return ds

    def _at(self, at: points_module.Points) -> xr.Dataset:
        """The outputs of the compiled model at checked points, labelled."""
        import xarray as xr

        values = outputs_at(self.compiled, self.fields, self.params, at.x)
        data = {}
        roles, docs = _roles(self.compiled), _docs(self.compiled)
        values = {**{n: values[n] for n in roles if n in values}, **values}  # declaration order
        names = self.compiled.states  # checked at the points of the domain: no extrapolation
        inside = Domain.of(self.compiled.model, names).inside(at.x) if names else None
        if inside is not None and self.cuts:  # nor below a cut edge
            states = {s.name: s for s in self.compiled.model.states}
            inside &= ~points_module.below_cuts(at.x, [states[n] for n in names], self.cuts)
        note = plausible.check(values, at.x, names, inside, "the results", stacklevel=4)
        for name, v in values.items():
            arr = np.asarray(v).reshape(at.shape) if at.dims else np.asarray(v)[0]
            data[name] = tag(
                xr.DataArray(arr, dims=at.dims),
                roles[name],
                **({"long_name": docs[name]} if docs.get(name) else {}),
            )
        ds = xr.Dataset(by_shock(data, self.compiled.model.shocks), coords=at.coords)
        if note:
            ds.attrs["implausible_values"] = note
        states = {s.name: s for s in self.compiled.model.states}
        return ds.assign_coords(
            {
                s: tag(
                    ds[s],
                    Role.STATE,
                    lo=states[s].lo,
                    hi=states[s].hi,
                    discrete=int(states[s].discrete),
                    **({"long_name": states[s].doc} if states[s].doc else {}),
                )
                for s in self.compiled.states
            }
        )

    def slices(self, n: int = 101) -> xr.Dataset:
        """The outputs on one-dimensional slices through the centre of the domain, one along
        each state (dimensions `along`, the state varied, and `position`; each state's value as
        a coordinate): for models of many states, where no grid fits."""
        states = self.compiled.model.states
        x = Domain.of(self.compiled.model, self.compiled.states).slices(n)
        dims = ["along", "position"]
        coords = {s.name: (dims, x[:, :, i]) for i, s in enumerate(states)}
        coords["along"] = [s.name for s in states]
        at = points_module.Points(x.reshape(-1, len(states)), dims, [len(states), n], coords)
        return self._at(at)

    def _on_domain(self) -> xr.Dataset:
        """The outputs on a grid of cell centres (NaN off a simplex) for up to three states,
        beyond that at SAMPLE_POINTS points drawn uniformly from the domain."""
        import xarray as xr

        model = self.compiled.model
        domain = Domain.of(model, self.compiled.states)
        if len(model.states) > MAX_GRID_STATES:
            return self._at(points_module.scattered(domain.sample(SAMPLE_POINTS), model.states))
        at = points_module.grid(grid_axes(self.compiled, self.settings.grid), model.states)
        ds = self._at(at)
        kept = domain.inside(at.x) & ~points_module.below_cuts(at.x, model.states, self.cuts)
        if not kept.all():
            inside = xr.DataArray(kept.reshape(at.shape), dims=at.dims)
            ds = ds.map(lambda v: v.where(inside), keep_attrs=True)
        ds.attrs.update({f"cut_{s}": v for s, v in self.cuts.items()})
        return ds

    @property
    def dataset(self) -> xr.Dataset:
        import xarray as xr

        if self._dataset is None:
            ds = self._on_domain()
            ds["loss"] = tag(
                xr.DataArray(np.asarray(self.history), dims=["step"]),
                Role.HISTORY,
                long_name="training loss (the optimiser's rows, not the model's residuals)",
            )
            for name, v in self.validation.items():
                ds.attrs[f"validation_{name}"] = float(v)
            for name, v in self.errors.items():
                ds.attrs[f"error_estimate_{name}"] = float(v)
            for name, v in self.derived_errors.items():
                ds.attrs[f"derived_error_estimate_{name}"] = float(v)
            for name, v in self.extra.items():
                ds[name] = v
            m = self.compiled.model
            ds.attrs.update(
                {
                    "model": m.name,
                    "title": m.title or "",
                    "walras_version": __version__,
                    "method": self.settings.method,
                    "seed": self.settings.seed,
                    "converged": int(self.converged),
                    "message": self.message,
                    "parameters": json.dumps(dict(self.params)),
                    "parametric": json.dumps(list(m.parametric)),
                    "shocks": json.dumps(list(m.shocks)),
                    "poisson": json.dumps(list(m.rates)),
                    "settings": json.dumps(dataclasses.asdict(self.settings)),
                }
            )
            for k, v in self.params.items():
                ds.attrs[f"param_{k}"] = float(v)
            self._dataset = ds
        return self._dataset

    def simulate(self, exact: bool = False, **options) -> xr.Dataset:
        """Sample paths of the states with every output along them (`runtime.simulate.simulate`
        takes the options: paths, years, dt, seed, antithetic, edge, scheme, start, every). The
        law of motion is interpolated on a fine grid (`dynamics.tabulate`) unless `exact`."""
        from . import dynamics, simulate

        law = dynamics.from_solution(self)
        return simulate.simulate(law if exact else dynamics.tabulate(law), **options)

    def save(self, path: str | Path) -> Path:
        return write_netcdf(self.dataset, path)


def outputs_at(compiled: Compiled, fields, params, x) -> dict[str, jax.Array]:
    """Every output of the compiled model at host points x, (n, states), by one program
    exported where it can be (the results' labels and the collocation estimate's controls)."""
    put = jax.device_put  # not jnp.asarray, which compiles a conversion of host arrays
    values = {k: put(np.float64(v)) for k, v in params.items()}
    key = compiled.key and f"{compiled.key} outputs"
    return cache.call(compiled.outputs, key, fields, values, put(np.asarray(x)))


def _roles(compiled: Compiled) -> dict[str, Role]:
    """The role of each output of `Compiled.outputs`, in declaration order: unknowns, definitions
    (lets, then process terms), residuals."""
    roles = dict.fromkeys(compiled.unknowns, Role.UNKNOWN)
    roles.update({d: Role.DEFINITION for d in compiled.outline.outputs if d not in roles})
    roles.update({f"residual_{r}": Role.RESIDUAL for r in compiled.outline.equations})
    return roles


def _docs(compiled: Compiled) -> dict[str, str]:
    """The documentation string of each output, where the model gives one; process terms are
    described by their state."""
    m = compiled.model
    shocks = ["", *(f"_{k}" for k in m.shocks)]
    docs = {f"drift_{s}": f"drift of {s}" for s in m.state_names}
    docs.update({f"vol_{s}{k}": f"volatility of {s}" for s in m.state_names for k in shocks})
    docs.update({u.name: u.doc for u in m.unknowns})
    docs.update({d.name: d.doc for d in m.definitions.values()})
    docs.update({f"residual_{e.name}": f"residual of equation {e.name}" for e in m.equations})
    return {k: v for k, v in docs.items() if v}
