"""The neural solver on a simplex of wealth shares, its unscaled validation and its error
estimate: the sampler's draws, the networks' inputs, the Gauss-Newton estimate against a known
error, and economies with closed forms (log utility: ω_i = ρ_i, pd = 1/Σ ρ_i η_i)."""

import jax
import numpy as np
import pytest
from references import REFERENCES, lucas_pd
from scipy.interpolate import CubicSpline

import walras
from walras.runtime.solvers.base import Problem
from walras.runtime.solvers.neural import matrix_free, polish
from walras.runtime.solvers.neural.fields import init_fields
from walras.runtime.solvers.neural.rows import Rows
from walras.runtime.solvers.neural.sampling import FACE_ALPHA, Sampler


def _economy(name: str, agents: list[tuple[str, float, str]]) -> str:
    lines = [
        f'model {name} "log agents"',
        "parameter mu_y = 0.02, sigma_y = 0.05",
        "shock Z",
        "endowment y: drift = mu_y*y, vol[Z] = sigma_y*y",
        "asset bond: riskless, supply = 0",
        "asset stock: dividend = y, supply = 1",
    ]
    lines += [f"agent {a}: utility = log, discount = {rho}, trades = [{t}]" for a, rho, t in agents]
    return "\n".join(lines) + "\n"


def test_simplex_draws_stay_on_it_off_its_faces_and_crowd_them():
    """Three shares (two states): every share ≥ the floor; half the draws Dirichlet(1), half
    Dirichlet(FACE_ALPHA), whose share below 0.01 is the Beta marginal's."""
    sampler = Sampler([0, 0, 0.5], [1, 1, 2], 4096, "sobol", 1e-3, 0, simplices=((0, 1),))
    for x in (sampler.interior(jax.random.PRNGKey(0)), sampler.fixed(4096, 3)):
        x = np.asarray(x)
        shares = np.column_stack([x[:, :2], 1 - x[:, :2].sum(1)])
        assert shares.min() >= 1e-3 - 1e-15
        assert x[:, 2].min() >= 0.5 and x[:, 2].max() <= 2
        from scipy.stats import beta

        # a share of Dirichlet(a, a, a) is Beta(a, 2a); the floor moves 0.01 to ~0.009
        u = (0.01 - 1e-3) / (1 - 3e-3)
        expected = 0.5 * beta(1, 2).cdf(u) + 0.5 * beta(FACE_ALPHA, 2 * FACE_ALPHA).cdf(u)
        assert abs(np.mean(shares[:, 0] < 0.01) - expected) < 0.02


def test_networks_see_the_implicit_last_share():
    compiled = walras.load(_economy("three", [(a, 0.05, "bond, stock") for a in "abc"])).compile()
    problem = Problem.build(compiled)
    assert problem.domain.simplices == ((0, 1),)
    settings = walras.Settings()
    rows = Rows(problem, settings)
    fields = init_fields(problem, settings, compiled.params, rows.cut, jax.random.PRNGKey(0))
    f = fields["omega_a"]
    assert f.simplices == ((0, 1),) and f.mlp.layers[0].weight.shape[1] == 3
    assert len(f.center) == 3 and f.log_axes == (True, True, True)


@pytest.mark.slow
def test_matrix_free_polish_solves_lucas(monkeypatch):
    """The polish by CG on Jacobian-vector products (as for a dense Jacobian beyond DENSE_BYTES)
    stops once the estimate is within `tol_error`, and the claim holds against the Lucas closed
    form: converged, the error within twice the estimate (measured on 2026-12-07: 7.7e-5 both;
    9.9e-5 with the steps not accelerated). Its rate is the CG polish's limit, not its claim:
    asked for 1e-6, it ends at its CG budget 5.4e-6 off (1.8e-6 with the defaults' budget; not
    accelerated, 1.1e-5 and 4.0e-6), each estimate equal to the error, and exits 2; the dense
    polish reaches 2e-14."""
    monkeypatch.setattr(polish, "DENSE_BYTES", 0)
    solution = walras.solve("lucas", method="neural", steps=400, polish=60)
    error = np.max(np.abs(solution.dataset["pd"].values / lucas_pd() - 1))
    assert solution.converged, solution.message
    assert solution.errors["pd"] <= solution.settings.tol_error
    assert error <= 2 * solution.errors["pd"], (error, solution.errors)


def _honest(solution, x, closed: dict[str, np.ndarray], targets: dict[str, float]):
    """A solve reported converged meets the targets, and each unknown's error against its closed
    form (relative to its largest size) lies within the Newton-Kantorovich bound of its estimate,
    twice the size of one Newton step (the root within 2η of the iterate where Kantorovich's
    condition holds); one that does not is exit 2 with a message that names the unknown or the
    residual."""
    ds = solution.evaluate(x)
    errors = {
        name: np.max(np.abs(ds[name].values - exact)) / np.max(np.abs(exact))
        for name, exact in closed.items()
    }
    if solution.converged:
        for name, error in errors.items():
            assert error <= targets[name], (name, error)
            assert error <= 2 * solution.errors.get(name, np.inf), (name, error, solution.errors)
    else:
        assert solution.message.startswith("not converged: "), solution.message
        assert "estimated error of" in solution.message or "residual" in solution.message


@pytest.mark.slow
@pytest.mark.xfail(
    strict=True,
    reason="issue 12 not met: the defaults converge within tol_error, ω_expert 1.5e-5 from the "
    "closed form (estimate 1.5e-5), ω_household 5.4e-5, not within 1e-6 (docs/neural.md)",
)
def test_two_log_agents_restricted_participation():
    """ω_i = ρ_i, pd = 1/(ρ_e η + ρ_h (1 − η)) on η ∈ [0.01, 0.99], with defaults but the
    indicial edge row; towards the cut the error of ω stays that of the interior (the row rules
    out the singular mode c/η, with which it grew tenfold per decade)."""
    text = _economy("two", [("expert", 0.03, "bond, stock"), ("household", 0.07, "bond")])
    solution = walras.solve(walras.load(text), method="neural", edge_row="indicial")
    eta = np.linspace(0.01, 0.99, 99)
    closed = {
        "omega_expert": np.full_like(eta, 0.03),
        "omega_household": np.full_like(eta, 0.07),
        "pd": 1 / (0.03 * eta + 0.07 * (1 - eta)),
    }
    _honest(solution, eta[:, None], closed, dict.fromkeys(closed, 1e-6))
    near, far = np.geomspace(1e-4, 1e-2, 9), np.linspace(0.1, 0.99, 9)
    for name, rho in (("omega_expert", 0.03), ("omega_household", 0.07)):
        error = [
            np.max(np.abs(solution.evaluate(x[:, None])[name].values - rho)) for x in (near, far)
        ]
        assert error[0] <= 1.5 * error[1], (name, error)


@pytest.mark.slow
def test_three_log_agents_complete_markets_on_the_simplex():
    """ω_i = ρ_i within 1e-6 (issue 12's bound, absolute: 1e-6/ρ_i relative) everywhere on the
    simplex with every share ≥ 0.01, with defaults, and within the bound of the solve's own
    estimate (measured: ω_a 1.2e-7 from ρ_a, relative, its estimate 9.6e-8)."""
    rhos = {"a": 0.02, "b": 0.05, "c": 0.08}
    text = _economy("three", [(a, rho, "bond, stock") for a, rho in rhos.items()])
    solution = walras.solve(walras.load(text), method="neural")
    x = np.random.default_rng(0).dirichlet(np.ones(3), 20000)
    x = x[(x >= 0.01).all(1)][:, :2]
    closed = {f"omega_{a}": np.full(len(x), rho) for a, rho in rhos.items()}
    _honest(solution, x, closed, {f"omega_{a}": 1e-6 / rho for a, rho in rhos.items()})


def _curve(theta, t):
    """Residuals of fitting a·exp(b t) + c to samples of 2·exp(−t) + 0.5."""
    a, b, c = theta
    return a * jax.numpy.exp(b * t) + c - (2 * jax.numpy.exp(-t) + 0.5)


def test_matrix_free_step_is_the_damped_gauss_newton_step():
    t = np.linspace(0, 2, 30)
    theta, lam = jax.numpy.array([1.0, -0.5, 0.0]), 0.1
    J = np.asarray(jax.jacfwd(_curve)(theta, t))
    r = np.asarray(_curve(theta, t))
    expected = -np.linalg.solve(J.T @ J + lam * np.eye(3), J.T @ r)
    step = matrix_free.damped_step(_curve, theta, lam, (t,))[0]
    np.testing.assert_allclose(step, expected, rtol=1e-8)
    result = matrix_free.levenberg_marquardt(_curve, theta, args=(t,), iterations=100)
    np.testing.assert_allclose(result.theta, [2.0, -1.0, 0.5], rtol=1e-8)


@pytest.mark.slow
def test_expert_and_two_identical_households_are_the_two_agent_economy():
    """Basak-Cuoco at γ = 2 with the households' wealth split between two identical households:
    at any split, ω and pd are those of the two-agent economy at the same expert share (the
    independent reference bc_gamma2_ref.csv of the shared references, interpolated)."""
    ref = np.genfromtxt(REFERENCES / "bc_gamma2_ref.csv", delimiter=",", names=True)
    lines = [
        'model bc_split "an expert and two identical households"',
        "parameter gamma = 2, rho = 0.05, mu_y = 0.02, sigma_y = 0.05",
        "shock Z",
        "endowment y: drift = mu_y*y, vol[Z] = sigma_y*y",
        "asset bond: riskless, supply = 0",
        "asset stock: dividend = y, supply = 1",
        "agent expert: utility = crra(gamma), discount = rho, trades = [bond, stock]",
        "agent h1: utility = crra(gamma), discount = rho, trades = [bond]",
        "agent h2: utility = crra(gamma), discount = rho, trades = [bond]",
    ]
    solution = walras.solve(walras.load("\n".join(lines) + "\n"), method="neural")
    rng = np.random.default_rng(0)
    eta = rng.uniform(0.1, 0.9, 2000)
    split = rng.uniform(0, 1, 2000)
    x = np.column_stack([eta, split * (1 - eta)])
    closed = {
        name: CubicSpline(ref["eta"], ref[column])(eta)
        for name, column in (
            ("omega_expert", "omega_expert"),
            ("omega_h1", "omega_household"),
            ("omega_h2", "omega_household"),
            ("pd", "pd"),
        )
    }
    _honest(solution, x, closed, dict.fromkeys(closed, 1e-4))
