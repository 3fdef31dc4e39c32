"""Calibration: the parameters that make a model's outputs match target values.

The model is solved once over the box of the parameters to choose (a parametric solution, see
`walras.compiler.parametric`); then `scipy.optimize.least_squares` moves the parameters inside
the box to minimise Σ w_i (m_i(θ) − target_i)². What m is:

- at a point (the `[at]` table) or in a model whose only states are the parameters (a Lucas tree:
  its outputs are constants): the outputs there, with their Jacobian in θ by JAX (forward mode);
- otherwise: means under the stationary distribution of the other states (the forward equation
  of `stationary`, up to three states), with a Jacobian by central differences.

The targets file (TOML):

    [parameters]   # the parameters to choose and the range of each
    gamma = [2, 8]
    [targets]      # output (a state, an unknown or a definition) = value
    pd = 25.0
    [weights]      # optional: output = weight (default 1 / target², relative errors)
    [at]           # optional: state = value, where the outputs are read
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, replace
from functools import partial
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np
import scipy.optimize as so
import xarray as xr

from ..grammar.diagnostics import Diagnostic, EconError, Source, Span, did_you_mean
from ..models import LIBRARY
from . import dynamics, stationary
from .points import mesh
from .schema import Role, tag

CODE = "E139"
STEP = 1e-5  # central differences of stationary means, in units of each parameter's range


@dataclass(frozen=True)
class Targets:
    ranges: dict[str, tuple[float, float]]
    values: dict[str, float]
    weights: dict[str, float]
    at: dict[str, float]
    source: Source | None = None

    def where(self, table: str, key: str | None = None) -> Span | None:
        """The place of `key` in `[table]` of the file (or of the table's header)."""
        if self.source is None:
            return None
        lines, inside = self.source.lines, False
        for i, line in enumerate(lines, 1):
            header = re.match(r"\s*\[\s*([A-Za-z_]+)\s*\]", line)
            if header:
                inside = header.group(1) == table
                if inside and key is None:
                    return Span(i, 1, i, len(line) + 1, self.source)
            elif inside and key and re.match(rf"\s*{re.escape(key)}\s*=", line):
                col = line.index(key) + 1
                return Span(i, col, i, col + len(key), self.source)
        return None


def read_targets(path: str | Path) -> Targets:
    """The targets file (or a bundled one by its name, `lucas_targets.toml`); `EconError`
    (E139) when it is missing, not TOML, or ill-formed."""
    path = Path(path)
    if not path.exists() and path.name == str(path) and (LIBRARY / "data" / path.name).is_file():
        path = LIBRARY / "data" / path.name
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as e:
        raise _error(f"cannot read the targets file '{path}': {e}") from None
    source = Source(str(path), text)
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        found = re.search(r"line (\d+), column (\d+)", str(e))
        span = None
        if found:
            line, col = int(found.group(1)), int(found.group(2))
            span = Span(line, col, line, col + 1, source)
        raise _error(f"the targets file is not valid TOML: {e}", span) from None
    return _tables(raw, source)


def _tables(raw: dict, source: Source | None) -> Targets:
    t = Targets({}, {}, {}, {}, source)
    problems = []
    for name in raw:
        if name not in ("parameters", "targets", "weights", "at"):
            hint = did_you_mean(name, ("parameters", "targets", "weights", "at"))
            problems.append(Diagnostic(CODE, f"unknown table [{name}]", t.where(name), hint))
    for table, into in (("targets", t.values), ("weights", t.weights), ("at", t.at)):
        for key, value in raw.get(table, {}).items():
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                into[key] = float(value)
            else:
                problems.append(_bad(t, table, key, f"{key} = {value!r} is not a number"))
    for key, value in raw.get("parameters", {}).items():
        ok = isinstance(value, list) and len(value) == 2
        if ok and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in value):
            t.ranges[key] = (float(value[0]), float(value[1]))
        else:
            problems.append(_bad(t, "parameters", key, f"{key} = {value!r} is not a range"))
    if not t.ranges or not t.values:
        problems.append(
            Diagnostic(
                CODE,
                "the targets file needs a [parameters] table (the parameters to choose, with "
                "their ranges) and a [targets] table (output = value)",
                None,
                "for example: [parameters] gamma = [2, 8]  and  [targets] pd = 25.0",
            )
        )
    if problems:
        raise EconError(problems)
    return t


def _bad(t: Targets, table: str, key: str, message: str) -> Diagnostic:
    hint = "write NAME = [LO, HI]" if table == "parameters" else "write NAME = NUMBER"
    return Diagnostic(CODE, message, t.where(table, key), hint)


def _error(message: str, span: Span | None = None) -> EconError:
    return EconError([Diagnostic(CODE, message, span)])


@dataclass(frozen=True)
class Calibration:
    parameters: dict[str, float]
    fitted: dict[str, float]  # output -> its value at the parameters found
    targets: Targets
    jacobian: np.ndarray  # (outputs, parameters): d output / d parameter there
    cost: float  # Σ w (m - target)²
    message: str
    mode: str  # "point" or "stationary"

    @property
    def dataset(self) -> xr.Dataset:
        names, params = list(self.targets.values), list(self.parameters)
        ds = xr.Dataset(
            {
                "target": xr.DataArray([self.targets.values[n] for n in names], dims="output"),
                "fitted": xr.DataArray([self.fitted[n] for n in names], dims="output"),
                "value": xr.DataArray([self.parameters[p] for p in params], dims="parameter"),
                "sensitivity": xr.DataArray(self.jacobian, dims=("output", "parameter")),
            },
            coords={"output": names, "parameter": params},
        )
        ds["sensitivity"].attrs["long_name"] = "d output / d parameter at the calibration"
        ds = ds.map(lambda v: tag(v, Role.MOMENT), keep_attrs=True)
        ds.attrs.update(cost=self.cost, message=self.message, mode=self.mode)
        return ds


def calibrate(solution, targets: Targets, cells: int | None = None) -> Calibration:
    """Choose `targets.ranges`' parameters in a parametric `solution` (solved over at least
    those ranges) to match `targets.values`."""
    model = solution.compiled.model
    names, params = list(targets.values), list(targets.ranges)
    check_names(solution.compiled, targets)
    others = [s for s in solution.compiled.states if s not in model.parametric]
    point = bool(targets.at) or not others
    moments = _at_point(solution, targets, names) if point else None
    stat = None if point else _stationary(solution, targets, names, cells)
    lo = np.array([targets.ranges[p][0] for p in params])
    hi = np.array([targets.ranges[p][1] for p in params])
    goal = np.array([targets.values[n] for n in names])
    w = np.sqrt(
        [targets.weights.get(n, 1 / max(abs(targets.values[n]), 1e-12) ** 2) for n in names]
    )

    def values(theta):
        return np.asarray(moments(jnp.asarray(theta))) if point else stat(theta)

    def jac(theta):
        if point:
            return np.asarray(jax.jacfwd(moments)(jnp.asarray(theta)))
        steps = STEP * (hi - lo)
        cols = [
            (stat(theta + e) - stat(theta - e)) / (2 * h) for e, h in zip(np.diag(steps), steps)
        ]
        return np.stack(cols, axis=1)

    fit = so.least_squares(
        lambda th: w * (values(th) - goal),
        (lo + hi) / 2,
        jac=lambda th: w[:, None] * jac(th),
        bounds=(lo, hi),
        xtol=1e-15,
        ftol=1e-15,
        gtol=1e-15,
    )
    theta = fit.x
    found = values(theta)
    return Calibration(
        dict(zip(params, map(float, theta))),
        dict(zip(names, map(float, found))),
        targets,
        jac(theta),
        float(np.sum((w * (found - goal)) ** 2)),
        fit.message,
        "point" if point else "stationary",
    )


def check_names(compiled, targets: Targets) -> None:
    """Raise `EconError` (E139) for names of the targets file the compiled parametric model
    does not have."""
    model = compiled.model
    outputs = set(compiled.unknowns) | set(compiled.system.outputs) | set(compiled.states)
    problems = []
    for table, names, known in (
        ("targets", targets.values, outputs),
        ("weights", targets.weights, set(targets.values)),
        ("at", targets.at, set(compiled.states) - set(model.parametric)),
        ("parameters", targets.ranges, set(model.parametric)),
    ):
        for n in names:
            if n not in known:
                problems.append(
                    Diagnostic(
                        CODE,
                        f"'{n}' in [{table}] is not {_KINDS[table]} of model '{model.name}'",
                        targets.where(table, n),
                        did_you_mean(n, known),
                    )
                )
    if problems:
        raise EconError(problems)


_KINDS = {
    "targets": "an output",
    "weights": "a target",
    "at": "a state",
    "parameters": "a parameter solved over a range",
}


def _at_point(solution, targets: Targets, names):
    """θ -> the outputs `names` at the point `[at]` (the middle of other states' domains)."""
    compiled = solution.compiled
    states = {s.name: s for s in compiled.model.states}
    base = [targets.at.get(s, (states[s].lo + states[s].hi) / 2) for s in compiled.states]
    index = jnp.array([compiled.states.index(p) for p in targets.ranges])
    params = {k: jnp.asarray(v) for k, v in solution.params.items()}

    @jax.jit
    def moments(theta):
        x = jnp.asarray(base, float).at[index].set(theta)[None]
        out = compiled.outputs(solution.fields, params, x, residuals=False)
        out.update({s: x[:, i] for i, s in enumerate(compiled.states)})
        return jnp.stack([out[n][0] for n in names])

    return moments


def _stationary(solution, targets: Targets, names, cells):
    """θ -> the means of `names` under the stationary distribution of the other states."""
    full = dynamics.from_solution(solution)
    parametric = solution.compiled.model.parametric
    keep = [i for i, s in enumerate(full.states) if s not in parametric]
    index = [full.states.index(p) for p in targets.ranges]
    fixed = {  # parameters solved over a range but not chosen: the middle of it
        i: (full.lo[i] + full.hi[i]) / 2
        for i, s in enumerate(full.states)
        if s in parametric and s not in targets.ranges
    }

    def widen(x, theta):
        out = jnp.zeros((x.shape[0], len(full.states)), x.dtype).at[:, jnp.array(keep)].set(x)
        for i, v in fixed.items():
            out = out.at[:, i].set(v)
        return out.at[:, jnp.array(index)].set(jnp.broadcast_to(theta, (x.shape[0], len(index))))

    @jax.jit
    def law(x, theta):
        drift, vol = full.law(widen(x, theta))
        return drift[:, jnp.array(keep)], vol[:, jnp.array(keep)]

    @jax.jit
    def outputs(x, theta):
        return full.outputs(widen(x, theta))

    def means(theta):
        theta = jnp.asarray(theta, float)
        dyn = replace(
            full,
            states=tuple(full.states[i] for i in keep),
            lo=full.lo[keep],
            hi=full.hi[keep],
            law=partial(law, theta=theta),
            outputs=partial(outputs, theta=theta),
        )
        cells_, probability, _, _ = stationary.solve(dyn, cells)
        x = mesh(dict(zip(dyn.states, stationary.centres(dyn, cells_))))
        out = {**dyn.outputs(jnp.asarray(x)), **{s: x[:, i] for i, s in enumerate(dyn.states)}}
        return np.array([probability.ravel() @ np.asarray(out[n]) for n in names])

    return means
