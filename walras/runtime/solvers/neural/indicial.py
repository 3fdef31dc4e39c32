"""The edge row of each unknown at a cut edge, from the indicial equation of the linearised
equations there.

Near a face where a share η → 0, a perturbation δ log u_j = η^p of the unknowns moves the
residuals by η^p (A p² + B p + C) (equations × unknowns; D = d/d log η turns η^p into p η^p), the
coefficients frozen at a point close to the face. The roots of det(A p² + B p + C) = 0 are the
powers at which solutions of the linearised equations may behave there: those with a negative
real part blow up (for log agents c/η, which the residuals barely see), the others are regular.
Where a constant is one of an unknown's modes (a root at 0), its edge row, c1·D log u +
c2·D² log u = 0 at the cut, annihilates that constant and its regular power (D or D(D − r)) and
so leaves only the singular modes, which it rules out. Where the equations are singular at the
edge at constant unknowns (their residuals grow there: `edge_powers`), the leading behaviour is a
power law that the constants do not see, and the row stays the power law's, D² log u = 0.
"""

from __future__ import annotations

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import scipy.linalg

PROBE = 1e-3  # the coefficients are frozen at this multiple of the cut: the roots there are
# their limit at the face to O(η) (for log agents 1e-7 away at a cut of 1e-4)
ZERO = 1e-3  # a root this close to 0 is the constant mode
POWER_LAW = (0.0, 1.0)  # D² log u = 0: any power law


class _Moved(eqx.Module):
    """u(x)·exp(t·(x·pick)^p): a relative perturbation η^p of a field, η its argument that the
    one-hot `pick` picks."""

    field: eqx.Module
    t: jax.Array
    p: jax.Array
    pick: jax.Array

    def __call__(self, x):
        return self.field(x) * jnp.exp(self.t * (x @ self.pick) ** self.p)


def _response(compiled):
    """The jitted response of every equation to each unknown's perturbation (one compilation
    per model, kept in its memo: the states differ only in the picks)."""
    key = ("neural.indicial",)
    if key not in compiled.memo:

        @eqx.filter_jit
        def response(fields, params, x, picks, p):
            names = sorted(picks)

            def residuals(t):
                moved = {n: _Moved(fields[n], t[j], p, picks[n]) for j, n in enumerate(names)}
                r = compiled.residuals({**fields, **moved}, params, x[None])
                return jnp.stack([r[e][0] for e in compiled.equations])

            return jax.jacfwd(residuals)(jnp.zeros(len(names)))

        compiled.memo[key] = response
    return compiled.memo[key]


def indicial_matrices(compiled, fields, params, x, i: int, unknowns) -> tuple:
    """(A, B, C), each (equations × unknowns): the residuals' response at the point x to
    δ log u_j = η^p, η the state i, divided by η^p, is A p² + B p + C (exactly, for equations of
    the unknowns and their first and second derivatives: it is probed at p = −1, 0, 1 by
    forward-mode AD). `unknowns` are (name, position of state i among its arguments)."""
    picks = {}
    for name, k in unknowns:
        picks[name] = jnp.zeros(_arity(compiled, name)).at[k].set(1.0)
    order = np.argsort([name for name, _ in unknowns])
    back = np.argsort(order)
    response = _response(compiled)
    low, mid, high = (
        np.asarray(response(fields, params, x, picks, jnp.float64(p)))[:, back] / float(x[i]) ** p
        for p in (-1, 0, 1)
    )
    return (high + low) / 2 - mid, (high - low) / 2, mid


def _arity(compiled, name: str) -> int:
    return len(next(u for u in compiled.system.unknowns if u.name == name).args)


def indicial_roots(a, b, c) -> tuple[np.ndarray, np.ndarray] | None:
    """The finite roots p of det(A p² + B p + C) = 0 and their eigenvectors (unknowns × roots),
    by the companion pencil; None when the system is not square."""
    n = a.shape[1]
    if a.shape[0] != n:
        return None
    eye, zero = np.eye(n), np.zeros((n, n))
    left = np.block([[zero, eye], [-c, -b]])
    right = np.block([[eye, zero], [zero, a]])
    roots, vectors = scipy.linalg.eig(left, right)
    finite = np.isfinite(roots) & (np.abs(roots) < 1e6)
    return roots[finite], vectors[:n, finite]


def row_coefficients(roots, vectors, j: int) -> tuple[float, float]:
    """(c1, c2) of unknown j's edge row c1·D log u + c2·D² log u. Where a constant is one of
    its modes (a root at 0) and it has a singular mode: D log u, or D(D − r) log u with one more
    regular root r (log(c0 + c1 η^r) is then log c0 + (c1/c0) η^r to O(η^2r)), which leave only
    the singular modes. Otherwise (no singular mode, no constant mode, complex or more roots)
    the power law's row."""
    mine = np.abs(vectors[j]) > 1e-6 * np.max(np.abs(vectors), initial=0.0)
    roots = roots[mine]
    if roots.size == 0 or np.any(np.abs(roots.imag) > ZERO):
        return POWER_LAW
    roots = roots.real
    if not (np.any(np.abs(roots) <= ZERO) and np.any(roots < -ZERO)):
        return POWER_LAW
    regular = np.unique(np.round(roots[roots > ZERO], 6))
    if regular.size == 0:
        return (1.0, 0.0)
    if regular.size == 1:
        return (-float(regular[0]), 1.0)
    return POWER_LAW


def edge_rows(problem, fields, params, cut, point, powers, terms) -> dict:
    """(c1, c2) for each edge term (unknown, position, state) of `terms`, from the indicial
    equation at the constant `fields` near the cut of each state, the other states at `point`;
    `powers` (equations × states) are the residuals' growth at the edge (`edge_powers`)."""
    compiled = problem.compiled
    out = dict.fromkeys(terms, POWER_LAW)
    for i in sorted({i for _, _, i in terms}):
        if np.any(powers[:, i] > ZERO):
            continue
        state = compiled.states[i]
        unknowns = [
            (u.name, u.args.index(state)) for u in problem.unknowns if state in (u.args or ())
        ]
        x = jnp.asarray(point).at[i].set(PROBE * cut[state])
        found = indicial_roots(*indicial_matrices(compiled, fields, params, x, i, unknowns))
        if found is None:
            continue
        names = [name for name, _ in unknowns]
        for term in terms:
            if term[2] == i:
                out[term] = row_coefficients(*found, names.index(term[0]))
    return out
