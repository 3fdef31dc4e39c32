"""The model's equations at local series, compiled once per model.

A row of a system that `jacobian.applies` to depends on the coefficients only through each
unknown's local series at its point: value, gradient and Hessian triangle (`jacobian.taylor`).
`LocalRows` holds the model's equations as functions of those local series at a block of BLOCK
points, compiled once per model (which unknowns are expanded as logarithms is an argument);
`split.Split` forms a system's residual and Jacobian from them."""

from __future__ import annotations

import dataclasses
import functools
from typing import TYPE_CHECKING

import jax
import jax.numpy as jnp
import numpy as np

from ... import cache
from ..blocks import by_blocks
from .jacobian import Taylor

if TYPE_CHECKING:
    from ....compiler.codegen import Compiled
    from .problem import System

BLOCK = 512  # points per call of the model's compiled rows (the last block padded)


class LocalRows:
    """The model's interior rows (imposed, raw) and boundary rows at a block of points, and the
    partials of the imposed and boundary rows in each unknown's local series, from the local
    series; one per model (`of`), its last argument the flags of the unknowns whose series are
    of their logarithm (`flags`). With `later`, the model with the time left to a horizon as a
    last state of every unknown (`pseudo_time.time_dependent`): the rows an implicit step in
    pseudo-time imposes (`Step`)."""

    def __init__(self, system: System, later: Compiled | None = None):
        self.system = system  # (its model-level parts only: `imposed`, `compiled`, `args`)
        self.compiled = later or system.compiled
        tau = [] if later is None else [len(system.compiled.states)]
        self.args = {u: np.asarray([*a, *tau], int) for u, a in system.args.items()}
        key = self.compiled.key
        key = key and f"{key} local rows {BLOCK}"
        name = lambda what: key and f"{key} {what}"  # noqa: E731
        self.raw = cache.compiled(jax.vmap(self._raw, (0, 0, None, None)), name("raw"))
        self.rows = cache.compiled(jax.vmap(self._rows, (0, 0, None, None, None)), name("rows"))
        self.linear = cache.compiled(
            jax.vmap(self._linear, (0, 0, None, None, None)), name("linear")
        )
        self.face, self.face_linear = {}, {}
        for b in system.problem.boundaries:
            face = functools.partial(self._face, b.name)
            self.face[b.name] = cache.compiled(
                jax.vmap(face, (0, 0, None, None)), name(f"face {b.name}")
            )
            self.face_linear[b.name] = cache.compiled(
                jax.vmap(_with_partials(face), (0, 0, None, None)), name(f"face {b.name} linear")
            )

    @staticmethod
    def of(system: System, later: Compiled | None = None) -> LocalRows:
        """The one of the system's model (or `later`), in its `memo`."""
        memo = (later or system.compiled).memo
        if "collocation local rows" not in memo:
            memo["collocation local rows"] = LocalRows(system, later)
        return memo["collocation local rows"]

    def flags(self, positive) -> np.ndarray:
        """The last argument of the compiled rows: whether each unknown's series is of its
        logarithm (those in `positive`)."""
        return np.array([u in positive for u in self.args])

    def _near(self, local, x, flags) -> dict:
        return {
            u: Taylor(s, x[self.args[u]], flags[list(self.args).index(u)]) for u, s in local.items()
        }

    def _raw(self, local, x, params, flags) -> dict:
        """Raw interior rows at one point (a complementarity's (a, b) as its last axis)."""
        fields = self._near(local, x, flags)
        raw = self.compiled.residuals(fields, params, x[None], complementarity=pair)
        return {k: r[0] for k, r in raw.items()}

    def _rows(self, local, x, params, mode, flags) -> dict:
        """Interior rows at one point, each complementarity as `mode` imposes it."""
        return self.system.imposed(self._raw(local, x, params, flags), mode)

    def _linear(self, local, x, params, mode, flags):
        return _with_partials(self._rows)(local, x, params, mode, flags)

    def _face(self, name: str, local, x, params, flags):
        fields = self._near(local, x, flags)
        r = self.compiled.boundary_residuals(fields, params, {name: x[None]}, only=name)
        return jnp.ravel(r[name])[0]


def pair(a, b):
    """A complementarity's two sides, (a, b) as a last axis (`System.imposed` picks)."""
    return jnp.stack([a, b])


def _with_partials(f):
    """(f, its partials in the first argument) by forward mode."""

    def both(first, *rest):
        partials, value = jax.jacfwd(lambda a: (f(a, *rest),) * 2, has_aux=True)(first)
        return value, partials

    return both


def blocked(fn, local: dict, x, *rest):
    """`fn(local, x, *rest)` over the points in blocks of BLOCK (the last padded with the first
    point), concatenated on the host."""
    return by_blocks(lambda block: fn(*block, *rest), (local, x), BLOCK)


@dataclasses.dataclass(frozen=True)
class Step:
    """An implicit step in pseudo-time (`pseudo_time`) as the local series see it: each unknown
    moves from θ_old (`old`) at the rate 1/Δτ (`rate`), so at τ = 0 its series in the states of
    `model` (the time-dependent model's `LocalRows`; τ, the time left to the horizon, last) is
    the unknown's own with a derivative in τ: rate·(u − u_old), and for a positive unknown (in
    `positive`: its series is of log u) rate·(1 − u_old/u). Its second derivatives in τ multiply
    τ's volatility, zero, in every row: they are zero here."""

    old: np.ndarray
    rate: float
    model: LocalRows
    positive: frozenset

    def series(self, new: dict, old: dict) -> dict:
        """The local series in the states and τ, from the series at θ and at θ_old."""
        lifted = {}
        for u, s in new.items():
            places, tau, size = _with_tau(len(self.model.args[u]) - 1)
            lifted[u] = np.zeros((s.shape[0], size))
            lifted[u][:, places] = s
            moved = 1 - np.exp(old[u][:, 0] - s[:, 0]) if self._log(u) else s[:, 0] - old[u][:, 0]
            lifted[u][:, tau] = self.rate * moved
        return lifted

    def partials(self, partials: dict, new: dict, old: dict) -> dict:
        """Partials in the lifted series (`series`) as partials in the series at θ."""
        back = {}
        for u, q in partials.items():
            places, tau, _ = _with_tau(len(self.model.args[u]) - 1)
            slope = np.exp(old[u][:, 0] - new[u][:, 0]) if self._log(u) else 1.0
            back[u] = q[:, places]
            back[u][:, 0] += self.rate * slope * q[:, tau]
        return back

    def _log(self, u: str) -> bool:
        return u in self.positive


@functools.cache
def _with_tau(m: int) -> tuple[np.ndarray, int, int]:
    """Where the entries of a local series in m states (value, gradient, Hessian triangle as
    `jacobian.taylor` orders them) go in one in m + 1 states (τ last), the place of the
    derivative in τ, and the size of the longer series."""
    j, k = np.triu_indices(m)
    longer = {pair: i for i, pair in enumerate(zip(*np.triu_indices(m + 1)))}
    hessian = [2 + m + longer[pair] for pair in zip(j, k)]
    return np.array([0, *range(1, 1 + m), *hessian]), 1 + m, 2 + m + len(longer)
