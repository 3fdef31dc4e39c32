"""Campbell-Cochrane (1999) on EconPDEs.jl's domain, s in [−300, s_max], against an independent
finite-difference reference (tests/campbell_cochrane_reference.py)."""

from __future__ import annotations

import sys
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import walras

sys.path.insert(0, str(Path(__file__).resolve().parent))
from campbell_cochrane_reference import LOWEST, reference, solve_fd, top  # noqa: E402

jax.config.update("jax_enable_x64", True)

REFERENCE_ERROR = 2e-8  # of max p: the spread of the extrapolated finite-difference values
# (1.46e-8 with scipy 1.17's banded solver: round-off of 2^18 points, at the top edge)


def params(**changes) -> dict[str, float]:
    return dict(walras.load("campbell_cochrane").with_params(**changes).compile().params)


def relative_error(solution, p) -> float:
    """Largest error relative to max p on the whole domain, edges included: 2001 points evenly
    and 200 more crowding towards s_max, where p bends (the results grid stops 1.5 short)."""
    hi = top(p)
    s = np.concatenate([np.linspace(LOWEST, hi, 2001), hi - np.logspace(-5, 0.5, 200)])
    values = np.ravel(solution.evaluate(s)["p"].values)
    exact = reference(p, s)
    return float(np.abs(values - exact).max() / np.abs(exact).max())


def test_the_reference_converges_under_refinement():
    """The plain scheme's successive differences fall about fourfold per halving; the
    Richardson-extrapolated values of two grid pairs agree within REFERENCE_ERROR."""
    p = params()
    s = np.linspace(LOWEST, top(p), 301)
    plain = [np.interp(s, *solve_fd(p, 2**k)) for k in (11, 12, 13)]
    first, second = (np.abs(b - a).max() for a, b in zip(plain, plain[1:]))
    assert 2.5 < first / second < 4.5
    fine, coarse = reference(p, s), reference(p, s, intervals=2**13)
    assert np.abs(fine - coarse).max() <= REFERENCE_ERROR * fine.max()
    assert 35.50 < fine.max() < 35.51 and np.argmax(fine) == s.size - 1  # p rises with s


def test_the_model_is_the_reference_ode():
    """walras's residual of the model's equation at the reference (its Chebyshev interpolant in
    log(s_max + 0.1 − s), degree 150) vanishes against the equation's scale, 1/p (0.03 to
    0.2): the file and the reference solve the same problem."""
    compiled = walras.load("campbell_cochrane").compile()
    p, hi = dict(compiled.params), top(dict(compiled.params))
    domain = [np.log(0.1), np.log(hi + 0.1 - LOWEST)]
    fit = np.polynomial.chebyshev.Chebyshev.interpolate(
        lambda t: reference(p, hi + 0.1 - np.exp(t)), 150, domain=domain
    )
    coef = jnp.asarray(fit.coef)

    def field(x):
        z = (2 * jnp.log(hi + 0.1 - x[-1]) - sum(domain)) / (domain[1] - domain[0])
        return jnp.cos(jnp.arange(coef.size) * jnp.arccos(z)) @ coef

    s = np.linspace(-299.0, hi - 0.01, 500)
    values = {k: jnp.asarray(v) for k, v in p.items()}
    claim = compiled.residuals({"p": field}, values, jnp.asarray(s[:, None]))["claim"]
    assert np.abs(np.asarray(claim) * reference(p, s)).max() < 1e-6


@pytest.mark.slow
def test_collocation_with_defaults_matches_the_reference():
    """Defaults: the direct solve's residuals peak near s_max, the nodes crowd towards it, the
    degree rises to meet residual_tol; within 1e-5 of the reference. Against the solver's own
    estimate: the estimate (a change of degree) does not see a smooth error of about 1e-8 of
    max p in the far tail (s < −250; measured 3.3e-9 and 1.1e-8 in two runs, estimate 8.4e-11),
    which the residual tolerance leaves: a residual R of `1/p + ... = 0` is a source R·p in the
    linear equation for p, whose solution operator maps a unit source to p, so the error it
    leaves is at most about sup|R|·max p relative to max p. The test allows that bound."""
    solution = walras.solve("campbell_cochrane", method="collocation", quiet=True)
    assert solution.converged, solution.message
    error = relative_error(solution, params())
    estimate = max(solution.errors.values())
    assert error < 1e-5
    residual = float(solution.dataset["residual_sup"].max())
    assert error <= estimate + REFERENCE_ERROR + residual * reference(params(), [top(params())])[0]


@pytest.mark.slow
def test_the_neural_solver_is_right_or_says_it_is_not():
    """The neural solver with its defaults: exit 0 only within its own error estimate."""
    solution = walras.solve("campbell_cochrane", method="neural", quiet=True)
    if solution.converged:
        estimate = max(solution.errors.values())
        assert relative_error(solution, params()) <= estimate + REFERENCE_ERROR
    else:
        assert "not converged" in solution.message
