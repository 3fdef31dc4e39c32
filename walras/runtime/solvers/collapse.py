"""The solution of a reduced economy (identical members of an agent array solved as one agent,
`compiler.collapse`) mapped back to the full model: every member's unknowns are the one agent's
at the same state of the others (the array's total share), prices and outputs the full model's
own at those fields. The mapping is a claim that is checked: the full model's residuals (its own
equations, unscaled) at random points of its simplex, the members' wealth split at random, must
equal the reduced economy's at the same aggregate state, else the solve is not converged."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

import jax
import numpy as np

from ...compiler.collapse import Plan
from .. import cache
from ..domain import Domain
from ..points import below_cuts
from ..results import Deferred, Solution
from ..schema import Role, tag
from .base import Outcome

POINTS = 1000  # random points of the full simplex where the mapped solution is checked
EXACT = 1e-8  # the largest difference between the full and the reduced residuals (relative
# to the residuals' scale) of an exact collapse: the residual tolerance of collocation, below
# which a difference is no evidence that the members differ (rounding gives 1e-14 to 3e-11;
# members whose discount rates differ by 0.01 give 1e-2)


@jax.tree_util.register_pytree_node_class
class Mapped:
    """A field of the reduced economy as a function of a full unknown's own states: the reduced
    states are `offset + weights @ x` (the array's share: the sum of its members' shares)."""

    def __init__(self, field: Callable, weights, offset):
        self.field, self.weights, self.offset = field, weights, offset

    def __call__(self, x):
        return self.field(self.offset + self.weights @ x)

    def tree_flatten(self):
        return (self.field, self.weights, self.offset), None

    @classmethod
    def tree_unflatten(cls, _, children):
        return cls(*children)


@dataclass(frozen=True)
class Back:
    """How the full model reads the reduced one: the reduced states as `offset + weights @ x`
    of the full states x, and each full unknown's counterpart in the reduced model."""

    plan: Plan
    weights: np.ndarray  # (reduced states, full states)
    offset: np.ndarray
    unknowns: Mapping[str, str]

    @classmethod
    def of(cls, full, reduced, plan: Plan) -> Back | None:
        """The map from checked model `full` to checked `reduced`; None where a reduced state
        or unknown has no counterpart (then nothing is collapsed)."""
        states = list(full.state_names)
        weights = np.zeros((len(reduced.state_names), len(states)))
        offset = np.zeros(len(reduced.state_names))
        for i, b in enumerate(reduced.state_names):
            members = [states.index(s) for s in states if plan.rename(s) == b]
            if not members:
                return None
            weights[i, members] = 1.0
            if any(plan.rename(d) == b != d for d in full.definitions if d.startswith("eta_")):
                # a member's share is its simplex's remainder: 1 - the simplex's states
                group = next((g for g in full.simplices if states[members[0]] in g), None)
                if group is None:
                    return None
                offset[i] += 1.0
                weights[i, [states.index(s) for s in group]] -= 1.0
        reduced_unknowns = {u.name for u in reduced.unknowns}
        unknowns = {u.name: plan.rename(u.name) for u in full.unknowns}
        if not set(unknowns.values()) <= reduced_unknowns:
            return None
        return cls(plan, weights, offset, unknowns)

    def states(self, x: np.ndarray) -> np.ndarray:
        """Points of the full model's states as points of the reduced model's."""
        return self.offset + np.asarray(x) @ self.weights.T

    def fields(self, full, reduced, fields: Mapping) -> dict:
        """The full model's fields from the reduced solution's `fields`."""
        full_states, reduced_states = list(full.state_names), list(reduced.state_names)
        args = {u.name: u.args for u in full.unknowns}
        reduced_args = {u.name: u.args for u in reduced.unknowns}
        out = {}
        for u, v in self.unknowns.items():
            rows = [reduced_states.index(b) for b in reduced_args[v]]
            cols = [full_states.index(a) for a in args[u]]
            w = self.weights[np.ix_(rows, cols)]
            out[u] = Mapped(fields[v], jax.numpy.asarray(w), jax.numpy.asarray(self.offset[rows]))
        return out


def mapped(full_compiled, reduced_solution: Solution, back: Back) -> Solution:
    """The full model's solution from the reduced one, checked at random points of the full
    simplex (see the module docstring)."""
    full, reduced = full_compiled.model, reduced_solution.compiled.model
    fields = back.fields(full, reduced, reduced_solution.fields)
    x, check = _check(full_compiled, fields, reduced_solution, back)
    exact = check["gap"] <= EXACT * check["scale"]
    outcome, message = reduced_solution.outcome, reduced_solution.message
    if exact:
        note = (
            f"{back.plan.line()}; the full model's residuals at {len(x)} random points of its "
            f"simplex (random splits) are the reduced economy's to {check['gap']:.1e}"
        )
    else:
        note = (
            f"{back.plan.line()}, but the full model's residual {check['worst']} differs from "
            f"the reduced economy's by {check['gap']:.2g} at random splits (the members are not "
            "interchangeable); solve every member with 'solver collapse = off' (--no-collapse)"
        )
    if not exact and outcome.converged:  # (an interrupted or failed solve says so itself)
        outcome, message = Outcome.NOT_CONVERGED, f"{Outcome.NOT_CONVERGED.message}: {note}"
    else:
        message = f"{message}; {note}"
    errors = {
        u: reduced_solution.errors[v]
        for u, v in back.unknowns.items()
        if v in reduced_solution.errors
    }
    cuts = {s: c for s, c in reduced_solution.cuts.items() if s in full.state_names}
    extra = reduced_solution.extra
    return Solution(
        full_compiled,
        fields,
        reduced_solution.params,
        reduced_solution.settings,
        reduced_solution.history,
        outcome,
        check["mean_square"],
        message,
        Deferred(
            lambda: {**_reduced(extra, reduced.state_names), "residual_sup": _sup(check["sup"])}
        ),
        errors,
        cuts,
    )


def _check(compiled, fields, reduced_solution: Solution, back: Back) -> tuple[np.ndarray, dict]:
    """The full model's residuals at random points of its domain (none within `margin` of an
    edge or below a cut) against the reduced economy's at the same aggregate states: the points,
    and per equation the mean square and sup of the full residuals; the largest difference
    (`gap`), its equation (`worst`) and the residuals' scale (the largest reduced one, ≥ 1)."""
    full, reduced = compiled.model, reduced_solution.compiled.model
    settings = reduced_solution.settings
    domain = Domain.of(full)
    x = domain.sample(POINTS, seed=settings.seed + 1)
    y = back.states(x)
    keep = _off_edges(domain, x, settings.margin) & _off_edges(
        Domain.of(reduced), y, settings.margin
    )
    keep &= ~below_cuts(y, reduced.states, reduced_solution.cuts)
    keep &= ~below_cuts(x, full.states, reduced_solution.cuts)
    x, y = x[keep], y[keep]
    params = {k: np.float64(v) for k, v in reduced_solution.params.items()}
    got = _residuals(compiled, fields, params, x)
    got = {e: got[e] for e in compiled.equations}  # in the model's order (JAX sorts the keys)
    want = _residuals(reduced_solution.compiled, reduced_solution.fields, params, y)
    scale = max([1.0] + [float(np.max(np.abs(r))) for r in want.values()])
    gaps = {}
    for e, r in got.items():
        counterpart = want.get(back.plan.rename(e))
        gaps[e] = float(np.max(np.abs(r - (0.0 if counterpart is None else counterpart))))
    worst = max(gaps, key=gaps.__getitem__)
    return x, {
        "mean_square": {e: float(np.mean(np.square(r))) for e, r in got.items()},
        "sup": {e: float(np.max(np.abs(r))) for e, r in got.items()},
        "gap": gaps[worst],
        "worst": worst,
        "scale": scale,
    }


def _off_edges(domain: Domain, x: np.ndarray, margin: float) -> np.ndarray:
    """Which rows of `x` keep `margin` of each state's range off its edges, and off each
    simplex's face where its remainder vanishes (the setting `margin`, as the solvers do)."""
    width = domain.hi - domain.lo
    keep = ((x >= domain.lo + margin * width) & (x <= domain.hi - margin * width)).all(axis=1)
    for group in domain.simplices:
        keep &= x[:, list(group)].sum(axis=1) <= 1 - margin
    return keep


def _residuals(compiled, fields, params, x) -> dict:
    """The residuals of `compiled` at `x`, by one compiled function (exported with the model's
    key, so a warm run does not trace it)."""
    key = compiled.key and f"{compiled.key} residuals"
    return cache.call(compiled.residuals, key, fields, params, x)


def _reduced(extra: Mapping, states) -> dict:
    """The reduced solve's evidence, its axes along the reduced economy's states renamed
    STATE_reduced (a grid of the reduced economy, not the full model's results points)."""
    out = {}
    for name, da in extra.items():
        axes = {d: f"{d}_reduced" for d in da.dims if d in states}
        out[name] = da.rename(axes) if axes else da
    return out


def _sup(sup: Mapping[str, float]):
    import xarray as xr

    return tag(
        xr.DataArray(
            np.array(list(sup.values())), dims=["equation"], coords={"equation": list(sup)}
        ),
        Role.EVIDENCE,
        long_name="the full model's residual sup-norm at random points of its simplex",
    )
