"""The neural solver against closed forms, the ODE reference and the collocation solution;
homotopy, zero edges in a log coordinate; checkpoints, resume, NaNs."""

import os
import re
import signal

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import pytest
from jax.flatten_util import ravel_pytree
from references import BrusanLog, lucas_pd

import walras
from walras.runtime import solvers
from walras.runtime.results import Solution
from walras.runtime.solvers.base import EDGE, Outcome, Problem, error_above
from walras.runtime.solvers.neural import driver as neural
from walras.runtime.solvers.neural.estimate import Estimator, error_estimates, where_not_finite
from walras.runtime.solvers.neural.fields import init_fields
from walras.runtime.solvers.neural.networks import make_field
from walras.runtime.solvers.neural.rows import Rows
from walras.runtime.solvers.neural.sampling import Sampler
from walras.settings import Settings


@pytest.fixture(scope="module")
def lucas():
    return walras.solve("lucas", method="neural", steps=400, polish=60)


def test_lucas_price_dividend_ratio_matches_closed_form(lucas):
    pd = lucas.dataset["pd"].values
    assert np.max(np.abs(pd / lucas_pd() - 1)) < 1e-5
    assert lucas.converged


def test_lucas_dataset_layout(lucas):
    ds = lucas.dataset
    assert ds["pd"].dims == ("y",)
    for name in ("q", "xi", "r", "sigma_q", "mu_q", "residual_stock_euler", "loss"):
        assert name in ds
    assert ds["loss"].dims == ("step",)
    assert ds.attrs["model"] == "lucas" and ds.attrs["seed"] == 0
    np.testing.assert_allclose(ds["sigma_q"].values, 0.05, rtol=1e-4)


def test_evaluate_at_points_and_params(lucas):
    ds = lucas.evaluate(np.array([[0.7], [1.3]]))
    np.testing.assert_allclose(ds["pd"].values, lucas_pd(), rtol=1e-5)


def test_error_estimate_is_the_error_of_a_perturbed_solution(lucas):
    """Lucas (linear in 1/pd): a converged solution moved by 1% in pd; one Gauss-Newton
    correction at fresh points finds the 1% again."""
    solution = lucas
    assert solution.converged and solution.errors["pd"] < 1e-4
    rows = Rows(Problem.build(solution.compiled), solution.settings)
    moved = dict(solution.fields)
    moved["pd"] = eqx.tree_at(
        lambda f: f.offset, moved["pd"], moved["pd"].offset + 0.01 * lucas_pd()
    )
    x = np.linspace(0.5, 2.0, 101)[:, None]
    actual = np.max(np.abs(jax.vmap(moved["pd"])(x) / lucas_pd() - 1))
    params = {k: np.float64(v) for k, v in solution.params.items()}
    estimate = error_estimates(rows, moved, solution.settings, params)["pd"]
    assert abs(estimate / actual - 1) < 0.1, (estimate, actual)


def test_a_field_with_a_log_axis_differentiates_twice_beside_a_negative_state():
    """A network on (log x, ν) with ν in its logarithm, where the state log x is negative: the
    gradient over the weights of its second derivative along log x (what a drift term's
    training gradient holds) is finite and equals central differences in one weight. It was
    NaN at every point: the logarithm, unused on that axis, was taken at the floor 1e-300, and
    its infinite derivatives met the where's zero (di_tella by the neural solver stopped at
    step 0)."""
    field = make_field(
        jax.random.PRNGKey(0),
        [-4.6, 1e-4],
        [-0.01, 1.0],
        (0.0, None),
        8,
        2,
        "tanh",
        log_axes=(False, True),
    )
    x = jnp.asarray([-1.33, 0.1236])

    def curvature(bias):
        f = eqx.tree_at(lambda g: g.mlp.layers[0].bias, field, bias)
        along = lambda t: f(x.at[0].add(t))  # noqa: E731
        return jax.grad(jax.grad(along))(0.0)

    bias = field.mlp.layers[0].bias
    gradient = jax.grad(curvature)(bias)
    assert np.all(np.isfinite(gradient))
    h = 1e-5
    step = jnp.zeros_like(bias).at[3].set(h)
    central = (curvature(bias + step) - curvature(bias - step)) / (2 * h)
    np.testing.assert_allclose(gradient[3], central, rtol=1e-6)


def test_di_tella_trains_from_its_start():
    """di_tella's training gradient at the start (the networks as corrections to its guess) is
    finite at every weight: its state log x is negative beside ν in its logarithm (above)."""
    compiled = walras.load("di_tella").compile()
    problem = Problem.build(compiled)
    settings = Settings(method="neural")
    rows = Rows(problem, settings)
    training = neural.Training(rows, settings, solvers.base.Options(quiet=True), problem.params)
    params = {k: jnp.float64(v) for k, v in problem.params.items()}
    arrays, static = eqx.partition(training.fields, eqx.is_array)
    loss = lambda a: rows.loss(eqx.combine(a, static), params, jax.random.PRNGKey(1))  # noqa: E731
    value, grads = jax.jit(jax.value_and_grad(loss))(arrays)  # one program, not op by op
    assert np.isfinite(value)
    assert all(bool(jnp.all(jnp.isfinite(g))) for g in jax.tree.leaves(grads))


def test_an_error_estimate_that_cannot_be_computed_is_infinite(lucas):
    """A correction that is not finite (from a Jacobian that is not) estimates every unknown's
    error as infinite, never as small: its maximum had come out −inf, within any tol_error."""
    rows = Rows(Problem.build(lucas.compiled), lucas.settings)
    estimator = Estimator(rows, lucas.fields, lucas.settings)
    theta, _ = ravel_pytree(eqx.partition(lucas.fields, estimator.polish.spec)[0])
    params = {k: jnp.float64(v) for k, v in lucas.params.items()}
    step = jnp.full_like(theta, jnp.nan)
    changes = estimator.changes(theta, step, params)
    assert changes == {"pd": np.inf}
    assert error_above(changes, lucas.settings.tol_error)
    n = len(estimator.changes.x)  # the points include both faces, y = 0.5 and y = 2
    assert estimator.changes.not_finite(theta, step, params) == {
        "pd": f"pd's estimate is not finite at {n:,} of {n:,} points, where y in [0.5, 2]"
    }


def test_where_an_estimate_is_not_finite_names_the_edges_its_points_lie_on():
    x = np.array([[0.0, 0.2], [0.0, 1.0], [0.5, 1.0], [0.3, 0.4]])
    lo, hi = np.array([0.0, 0.2]), np.array([1.0, 1.0])
    where = lambda *bad: where_not_finite("theta", np.array(bad), x, ["a", "z"], lo, hi)  # noqa: E731
    assert where(True, True, False, False) == (
        "theta's estimate is not finite at 2 of 4 points, all at a = 0 (the lower edge)"
    )
    assert where(False, True, False, False) == (
        "theta's estimate is not finite at 1 of 4 points, all at a = 0 (the lower edge) and "
        "z = 1 (the upper edge)"
    )
    assert where(False, False, True, True) == (
        "theta's estimate is not finite at 2 of 4 points, where a in [0.3, 0.5], z in [0.4, 1]"
    )


MERTON = """model merton "Merton's portfolio problem with income, CRRA"
parameter gamma = 2, rho = 0.05, r = 0.02, mu = 0.06, sigma = 0.2, y = 0.1
state a in [0, 2]
shock Z
control c > 0
control theta
unknown V(a)
let b = y + r*a + theta*a*(mu - r) - c
let u = c^(1 - gamma)/(1 - gamma)
process a: drift = b, vol[Z] = theta*sigma*a
equation hjb: rho*V = max(c, theta): u + d(V, a)*b + 0.5*d(V, a, a)*(theta*sigma*a)^2
boundary at a = 2: d(V, a, a) = -gamma*d(V, a)/(a + y/r)
guess V = (a + y/r)^(1 - gamma)/((1 - gamma)*rho)
"""


@pytest.mark.slow
def test_an_estimate_that_is_not_finite_at_a_face_says_so():
    """The portfolio share θ = (μ − r)/(γσ²)·(a + y/r)/a (the solution, V a power of wealth
    with human wealth y/r) is −V_a(μ − r)/(σ² a V_aa), infinite at a = 0 and finite inside: the
    estimate of θ is infinite, and the message says where (30 s, mostly compiling)."""
    solution = walras.solve(walras.load(MERTON), method="neural", steps=10, polish=1)
    assert solution.errors["theta"] == np.inf
    assert np.isfinite(solution.errors["V"]) and np.isfinite(solution.errors["c"])
    assert re.search(
        r"theta's estimate is not finite at [\d,]+ of [\d,]+ points, all at a = 0 "
        r"\(the lower edge\)",
        solution.message,
    )


HELD = """model held "the solution, f = 1.5, lies beyond the declared bound"
state x in [0, 1]
shock Z
process x: drift = 0.5 - x, vol[Z] = 0.1*x*(1 - x)
unknown f(x) in [0, BOUND]
equation e: 0.05*f = drift(f) + 0.075
"""


def test_an_unknown_its_bound_holds_has_no_error_estimate():
    """A bounded unknown whose network sits at the bound, where the bound transform is flat, is
    moved by no correction of the weights, so its estimate would be near 0 whatever its error
    (Bolton-Chen-Wang's payout boundary at its bound: estimate 1.4e-3, error 3.9): it is
    infinite, and the message says where. With room for the solution (f = 1.5, a constant) the
    same solve meets it and its estimate is finite."""
    held = walras.solve(
        walras.load(HELD.replace("BOUND", "1")), method="neural", steps=100, polish=10
    )
    assert held.errors == {"f": np.inf}
    assert not held.converged
    assert "f sits at its upper bound 1 at 100% of the points" in held.message
    free = walras.solve(
        walras.load(HELD.replace("BOUND", "2")), method="neural", steps=100, polish=10
    )
    assert np.max(np.abs(free.dataset["f"].values - 1.5)) < 1e-6
    assert free.converged and free.errors["f"] < 1e-6


# brusan_log by the neural solver with defaults (75 s): its tests are slow
@pytest.fixture(scope="module")
def brusan():
    return walras.solve("brusan_log", method="neural")


@pytest.fixture(scope="module")
def reference():
    return BrusanLog().solve()


@pytest.mark.slow
def test_brusan_log_against_ode_reference(brusan, reference):
    eta = np.linspace(0.01, 0.99, 99)
    ds = brusan.evaluate(eta[:, None])
    # the floors are 1e-3 and 1e-2; its goals 1e-4 and 1e-3
    assert np.max(np.abs(ds["q"].values / reference.q(eta) - 1)) <= 1e-4
    assert np.max(np.abs(ds["psi"].values - reference.psi(eta))) <= 1e-3


@pytest.mark.slow
def test_brusan_log_free_boundary(brusan, reference):
    eta = np.linspace(0.2, 0.5, 300001)
    psi = brusan.evaluate(eta[:, None])["psi"].values
    eta_star = eta[np.argmax(psi >= 1.0)]
    assert abs(eta_star - reference.eta_star) <= 1e-3  # the floor: 0.005


@pytest.mark.slow
def test_brusan_log_outputs_named(brusan):
    for name in ("q", "psi", "sigma_q", "mu_eta", "sig_eta", "iota", "residual_capital"):
        assert name in brusan.dataset


def test_interrupt_saves_and_resume_continues_exactly(tmp_path, monkeypatch):
    """Ctrl-C at step 100 keeps a checkpoint; --resume then follows the uninterrupted run."""
    model = walras.load("lucas")
    path = tmp_path / "lucas.ckpt"
    real_advance = neural.Progress.advance
    done = {"n": 0}

    def interrupt(self, n, loss):
        done["n"] += n
        if done["n"] == 100:
            os.kill(os.getpid(), signal.SIGINT)  # Ctrl-C
        real_advance(self, n, loss)

    monkeypatch.setattr(neural.Progress, "advance", interrupt)
    stopped = walras.solve(model, method="neural", steps=200, polish=0, checkpoint=path)
    monkeypatch.setattr(neural.Progress, "advance", real_advance)
    assert not stopped.converged and "interrupted" in stopped.message
    assert path.exists() and len(stopped.history) == 100
    resumed = walras.solve(
        model, method="neural", steps=200, polish=0, checkpoint=path, resume=True
    )
    straight = walras.solve(model, method="neural", steps=200, polish=0)
    np.testing.assert_allclose(resumed.history, straight.history, rtol=1e-12)


NAN_MODEL = """
model nan_prone "training walks into a region where the residual is NaN"
state x in [0, 1]
shock Z
process x: drift = 0, vol[Z] = 0.1
unknown f(x)
equation e: f + 1e-9*sqrt(2.5 - f) = 3
solver method = neural, steps = 300, polish = 0, lr = 0.05
"""


def test_nan_is_detected_and_the_last_good_state_restored():
    messages = []
    compiled = walras.load(NAN_MODEL).compile()
    settings = walras.api.settings_for(walras.load(NAN_MODEL))
    solution = solvers.solve(compiled, settings, compiled.params, quiet=True, log=messages.append)
    assert any("NaN" in m and "restored" in m for m in messages)
    assert np.all(np.isfinite(solution.history))


def test_resume_from_a_different_network_is_a_clear_error(tmp_path):
    path = tmp_path / "lucas.ckpt"
    walras.solve("lucas", method="neural", steps=10, polish=0, checkpoint=path)
    with pytest.raises(walras.EconError) as info:
        walras.solve(
            "lucas", method="neural", steps=20, polish=0, width=12, checkpoint=path, resume=True
        )
    (d,) = info.value.diagnostics
    assert d.code == "E140" and "different model or network" in d.message


def test_homotopy_walks_the_networks_to_the_model_parameters():
    """Adam at γ = 1, then a polish at each step of γ to 5: the Lucas closed form at γ = 5."""
    solution = walras.solve(
        "lucas", method="neural", steps=400, polish=200, homotopy="gamma=1", homotopy_steps=2
    )
    assert solution.converged, solution.message
    np.testing.assert_allclose(solution.dataset["pd"].values, lucas_pd(), rtol=1e-5)


def test_edge_rows_are_the_curvature_of_log_u_in_log_eta_at_the_cut():
    """At the cut of a zero edge, the rows are d²(log u)/d(log η)², against a central difference."""
    compiled = walras.load("basak_cuoco").compile()
    settings = Settings()
    problem = Rows(Problem.build(compiled), settings)
    fields = init_fields(
        problem.problem, settings, compiled.params, problem.cut, jax.random.PRNGKey(1)
    )
    fields = {
        u: eqx.tree_at(
            lambda f: f.mlp.layers[-1].weight,
            f,
            jax.random.normal(jax.random.PRNGKey(2), f.mlp.layers[-1].weight.shape),
        )
        for u, f in fields.items()
    }
    assert [u for u, _, _ in problem.edge_terms] == ["omega_expert", "omega_household"]
    rows = np.asarray(problem.edge_rows(fields))
    s, h = np.log(EDGE), 1e-3
    for row, u in zip(rows, ("omega_expert", "omega_household")):
        log_u = lambda t, f=fields[u]: float(jnp.log(f(jnp.array([np.exp(t)]))))
        assert fields[u].positive
        second = (log_u(s + h) - 2 * log_u(s) + log_u(s - h)) / h**2
        assert abs(row - second) < 1e-5 * max(1.0, abs(second))


def test_what_is_reported_at_a_cut_edge_is_the_models_own_residuals():
    """basak_cuoco, cut at η = 1e-4: the training rows are scaled by η^(3/4), the validation
    (compared with `tol`) is the mean square of the model's own equations at the fresh points,
    unscaled, and the Dataset's residuals are those equations too."""
    compiled = walras.load("basak_cuoco").compile()
    settings = Settings().replace(points=64)
    rows = Rows(Problem.build(compiled), settings)
    params = {k: jnp.asarray(v) for k, v in compiled.params.items()}
    fields = init_fields(rows.problem, settings, compiled.params, rows.cut, jax.random.PRNGKey(1))
    fields = neural.compose(rows.problem, fields)
    x = rows.sampler.fixed(4 * settings.points, settings.seed + 7919)
    raw = compiled.residuals(fields, params, x)
    scaled = rows.residuals(fields, params, x)
    validation = rows.validation(fields, params, settings.seed)
    eta = np.asarray(x[:, 0])
    for name, r in raw.items():
        r = np.asarray(r)
        assert validation[name] == pytest.approx(np.mean(r**2), rel=1e-10)
        np.testing.assert_allclose(np.asarray(scaled[name]), eta**0.75 * r, rtol=1e-12)
        assert np.mean(np.asarray(scaled[name]) ** 2) < 0.5 * validation[name]
    solution = Solution(
        compiled, fields, compiled.params, settings, np.zeros(0), Outcome.NOT_CONVERGED, validation
    )
    ds = solution.evaluate(np.array([1e-3, 0.5]))
    at = jnp.asarray([[1e-3], [0.5]])
    for name, r in compiled.residuals(fields, params, at).items():
        np.testing.assert_allclose(ds[f"residual_{name}"].values, np.asarray(r), rtol=1e-12)


def test_a_zero_edge_is_sampled_half_in_its_logarithm():
    sampler = Sampler([1e-4, 0.5], [1.0, 2.0], 1024, "sobol", 0.0, 0, log=(True, False))
    x = np.asarray(sampler.interior(jax.random.PRNGKey(0)))
    for a, b in ((1e-4, 1e-2), (0.5, 1.0)):  # half log-uniform, half uniform on [1e-4, 1]
        share = 0.5 * np.log(b / a) / np.log(1e4) + 0.5 * (b - a) / (1 - 1e-4)
        assert abs(np.mean((x[:, 0] > a) & (x[:, 0] < b)) - share) < 0.01
    assert x[:, 0].min() >= 1e-4 and x[:, 1].min() >= 0.5 and x[:, 1].max() <= 2.0


@pytest.mark.slow
def test_basak_cuoco_agrees_with_the_collocation_reference():
    """γ = 5 through a homotopy from log utility; the reference is the collocation solution, whose
    own cut edge moves ω_expert by 1e-4 at η = 0.05 (docs/collocation.md)."""
    model = walras.load("basak_cuoco")
    compiled = model.compile()
    reference = solvers.solve(
        compiled, Settings(method="collocation", degree=48, homotopy="gamma=1"), quiet=True
    )
    assert reference.converged, reference.message
    solution = walras.solve(
        model, homotopy="gamma=1", method="neural", steps=0, width=8, polish=600, polish_points=512
    )
    eta = np.linspace(0.05, 1.0, 96)[:, None]
    ours, theirs = solution.evaluate(eta), reference.evaluate(eta)
    for name in ("omega_expert", "omega_household"):
        assert np.max(np.abs(ours[name].values - theirs[name].values)) < 1e-4
    assert np.max(np.abs(ours["pd"].values / theirs["pd"].values - 1)) < 1e-3
