"""The coarse start of collocation (`collocation/coarse_start.py`): after a failed direct solve of a
model with several states, a solve at a low degree with the positive unknowns as logarithms,
carried up to the working degree, reaches the solution (docs/collocation.md)."""

from __future__ import annotations

from types import SimpleNamespace

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import walras
from walras.runtime.solvers.base import Problem
from walras.runtime.solvers.collocation import coarse_start, first_solve, jacobian, report, stages
from walras.runtime.solvers.collocation.systems import Attempt, Systems
from walras.runtime.solvers.start import values_at
from walras.settings import Settings

# v = exp(s(x + y)) solves the equation and both edge conditions (log v is linear, so its
# curvature vanishes); the conditions make it the only solution (for log v = s(x + y) + w, w
# solves w + k w_xx = 0 with w_xx = 0 at x = 0 and 1: w = 0). From the constant start v = 1 the
# plain expansions need a dozen Newton steps (log v climbs by at most log(1 + s(x + y)) per
# step, to 12); in logarithms the equation is linear and the coarse solve is one step.
LOG_LINEAR = """
model log_linear "v = exp(s*(x + y)): log-linear, far from the constant start"
parameter s = 4, k = 0.05
state x in [0, 1]
state y in [1, 2]
shock Z
process x: drift = 0.1*(0.5 - x), vol[Z] = 0.2*x*(1 - x)
process y: drift = 0.1*(1.5 - y), vol[Z] = 0.2*(y - 1)*(2 - y)
unknown v(x, y) > 0
equation value: log(v) - s*(x + y) + k*(d(v, x, x)/v - (d(v, x)/v)^2) = 0
boundary at x = 0: d(v, x, x)/v - (d(v, x)/v)^2 = 0
boundary at x = 1: d(v, x, x)/v - (d(v, x)/v)^2 = 0
"""
jax.config.update("jax_enable_x64", True)
ITERATIONS = 6  # per stage: too few for the direct solve from v = 1, enough from the coarse start


def test_the_ladder_of_degrees():
    """From the coarse degree up by half while more than a doubling is left, then the working
    degree; a working degree at or below the coarse one is solved in logarithms, then plainly."""
    same = lambda d: d  # noqa: E731
    assert coarse_start.ladder(8, 19, same) == [8, 12, 19]
    assert coarse_start.ladder(8, 32, same) == [8, 12, 18, 32]
    assert coarse_start.ladder(8, 16, same) == [8, 16]
    assert coarse_start.ladder(8, 6, same) == [6, 6]


def test_the_jacobian_by_chunks_of_columns_is_forward_mode(monkeypatch):
    """Columns computed a chunk at a time (the last chunk padded) equal `jax.jacfwd`'s, inside a
    jitted function as the solver calls it; the chunk is what the memory budget allows for the
    buffers XLA measures (a 64 MB intermediate: 16 columns in 1 GiB, at most)."""

    def f(t):
        return jnp.concatenate([jnp.sin(t) * t.sum(), jnp.cumsum(t**2)[:5]])

    t = jnp.linspace(0.1, 1.0, 23)
    chunked = jax.jit(lambda t: jacobian.columns(f, t, chunk=5))(t)
    assert chunked.shape == (28, 23)
    assert np.array_equal(np.asarray(chunked), np.asarray(jax.jacfwd(f)(t)))
    assert jacobian.chunk_for(f, t) == jacobian.COLUMNS  # (a few bytes a column)
    w = jnp.linspace(0.0, 1.0, 2**12)

    def wide(t):  # an intermediate of 2^12 × 2^11 floats (64 MiB), reduced twice
        outer = jnp.outer(w, jnp.tile(t, 90)[: 2**11])
        return jnp.concatenate([outer.sum(0)[:3], jnp.sort(outer, axis=0)[-1, :3]])

    assert 1 <= jacobian.chunk_for(wide, t) <= jacobian.MEMORY // 2**26
    monkeypatch.setattr(jacobian, "MEMORY", 1)
    assert jacobian.chunk_for(f, t) == 1


def _first_attempt(problem: Problem, start: str, iterations: int = ITERATIONS):
    """The solver's first attempt at degree 16 from the model's start (v = 1)."""
    settings = Settings().replace(
        method="collocation", degree=16, iterations=iterations, start=start
    )
    systems = Systems(problem, settings.basis)
    return stages.attempt(systems, settings, problem.params, None, first=True), settings


def _closed_form_error(v) -> float:
    x, y = np.linspace(0, 1, 9), np.linspace(1, 2, 9)
    X, Y = np.meshgrid(x, y, indexing="ij")
    found = np.asarray(values_at(v, np.stack([X.ravel(), Y.ravel()], axis=1))).reshape(X.shape)
    return float(np.abs(found / np.exp(4 * (X + Y)) - 1).max())


@pytest.mark.slow
def test_a_failed_direct_solve_reaches_the_closed_form_from_the_coarse_start():
    """The direct solve at degree 16 from v = 1 does not converge in its iterations; the
    default start then solves at degree 8 in log v and carries that to degree 16, which
    converges to the closed form. Slow (26 s, CI's budget): the ladder, the chunked Jacobian
    and the rule of convergence keep fast tests."""
    problem = Problem.build(walras.load(LOG_LINEAR).compile(), None)  # its systems shared
    direct, settings = _first_attempt(problem, "direct")
    assert not direct.reached and not direct.converged(settings)
    assert _closed_form_error(direct.fields["v"]) > 1e-2
    found, settings = _first_attempt(problem, "auto")
    assert found.coarse and found.converged(settings) and found.system.degree == 16
    assert _closed_form_error(found.fields["v"]) < 1e-10
    assert "degree 8 with the positive unknowns as logarithms" in found.notes[0]


@pytest.mark.slow
def test_the_solve_with_defaults_says_how_it_started():
    """The whole solve (with its error estimate at degree 20): converged, the closed form, the
    message says the coarse start (about 40 s of CPU under load)."""
    solution = walras.solve(
        walras.load(LOG_LINEAR), method="collocation", degree=16, iterations=ITERATIONS, quiet=True
    )
    assert solution.converged, solution.message
    assert "carried up by degrees (16)" in solution.message
    assert _closed_form_error(solution.fields["v"]) < 1e-10
    assert max(solution.errors.values()) < 1e-8


def test_a_solution_limited_by_its_truncation_converges_on_its_estimate():
    """Residuals off the nodes above `residual_tol` leave the solve unconverged, unless the
    coarse start carried it to the collocation solution (the residuals are then the degree's
    truncation); in both cases the estimated error must be within `tol_error`."""
    settings = Settings().replace(method="collocation")
    ev = SimpleNamespace(ok=True, total=2.8e-3)

    def outcome(coarse: bool, error: float):
        attempt = Attempt(None, None, ev, [], 0, [], None, reached=True, coarse=coarse)
        return report.outcome(attempt, settings, {"p": error}).value

    assert outcome(True, 5.6e-5) == "converged"
    assert outcome(True, 2e-4) != "converged"
    assert outcome(False, 5.6e-5) != "converged"


@pytest.mark.parametrize("coarse_helps", [True, False])
def test_a_direct_solve_that_creeps_pauses_for_the_coarse_start(monkeypatch, coarse_helps):
    """A direct solve whose sum of squares falls by less than half over `first_solve.CREEP`
    iterations pauses for the coarse start (di_tella at degree 19: 2-15% an iteration from its
    11th to its 50th before; docs/models/di_tella.md). The direct solve of `LOG_LINEAR` halves
    its sum of squares an iteration, so it pauses after two at a window of 1: where the coarse
    start reaches the solution, that is kept; where it fails, the direct solve goes on from
    where it paused and reaches the closed form as it does unpaused."""
    problem = Problem.build(walras.load(LOG_LINEAR).compile(), None)
    monkeypatch.setattr(first_solve, "CREEP", 1)
    if not coarse_helps:
        monkeypatch.setattr(coarse_start, "reach", lambda *a: (None, [], "no coarse solution"))
    found, settings = _first_attempt(problem, "auto", iterations=50)
    assert found.converged(settings) and found.coarse == coarse_helps
    assert _closed_form_error(found.fields["v"]) < 1e-10
    if not coarse_helps:
        assert "paused after 2 iterations where it crept, went on from there" in found.notes[-1]
        assert found.iterations == 12  # the unpaused solve's (above): the pause lost nothing


def test_the_rule_of_creeping():
    """Halving every iteration (LOG_LINEAR's direct solve) or falling 60% over ten goes on;
    the direct solve of di_tella at degree 19 (its sums of squares from the 11th iteration)
    pauses."""

    def pauses(costs) -> bool:
        creep = first_solve.Creep()
        for i, c in enumerate(costs):
            creep(i + 1, c)
            if creep.stop():
                return True
        return False

    assert not pauses(68.0 * 0.5 ** np.arange(12))
    assert not pauses(0.4 ** (np.arange(40) / 10))
    di_tella = [1.2e-4, 8.6e-5, 7.3e-5, 6.6e-5, 6.2e-5, 5.8e-5, 5.6e-5, 5.4e-5, 5.2e-5, 5.1e-5]
    assert pauses(di_tella + [4.7e-5, 4.5e-5])
