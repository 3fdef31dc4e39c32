"""State constraints, `boundary at a = a_min: drift(a) >= 0`: the HJB holds on the face with its
control bounded where the drift vanishes (c <= z + r*a_min), checked against the constrained
HJB written out by hand, against the solution by ODEs in consumption (`huggett_reference.
shooting`, the parameters of `consumption_saving` are huggett's), and the errors of a
constraint that is misplaced or bounds nothing."""

from __future__ import annotations

from functools import cache

import jax.numpy as jnp
import numpy as np
import pytest
from huggett_reference import Huggett, distances, shooting
from scipy.optimize import brentq
from scipy.special import lambertw

import walras
from walras.grammar.diagnostics import EconError

P = Huggett()


def _u(c):
    return c ** (1 - P.gamma) / (1 - P.gamma)


@cache
def _compiled():
    return walras.load("consumption_saving").compile()


def _linear(levels, slopes):
    """V_s(a) = levels[s] + slopes[s]*(a - a_min) in each income state."""

    def V(x):
        line = jnp.asarray(levels) + jnp.asarray(slopes) * (x[0] - P.a_min)
        return jnp.where(x[1] < 0.5, line[0], line[1])

    return {"V": V}


FACE = np.array([[P.a_min, 0.0], [P.a_min, 1.0]])  # float64: made jax arrays after walras loads


def _face_residuals(levels, slopes):
    """The compiled face residual of `consumption_saving` for V linear in a in each income
    state, V_s(a) = levels[s] + slopes[s]*(a - a_min), at (a_min, s) for s = 0, 1."""
    compiled = _compiled()
    params = {k: jnp.asarray(v) for k, v in compiled.params.items()}
    assert {k: compiled.params[k] for k in vars(P)} == vars(P)
    fields = _linear(levels, slopes)
    (r,) = compiled.boundary_residuals(
        fields, params, {"boundary_a_lo": jnp.asarray(FACE)}
    ).values()
    return np.asarray(r)


def test_the_face_bounds_consumption_where_saving_would_be_negative():
    """The unconstrained optimum c = V_a^(-1/γ) is 0.12 in the low state, above its income
    z_lo + r a_min = 0.0955 (it would dissave: the bound binds, the HJB is ρV = u(income) +
    λ(ΔV)), and 0.15 in the high state, below 0.1955 (it saves: the ordinary HJB)."""
    levels, c_free = [-130.0, -128.0], np.array([0.12, 0.15])
    slopes = c_free ** (-P.gamma)
    income = np.array([P.z_lo, P.z_hi]) + P.r * P.a_min
    c = np.minimum(c_free, income)
    assert c[0] == income[0] and c[1] == c_free[1]
    rates, other = np.array([P.lam_lo, P.lam_hi]), np.array(levels[::-1])
    expected = P.rho * np.array(levels) - (
        _u(c) + slopes * (income - c) + rates * (other - np.array(levels))
    )
    assert np.abs(_face_residuals(levels, slopes) - expected).max() < 1e-12


def test_the_face_and_the_interior_give_the_control_at_the_face():
    """`face_controls` (what the neural estimate reads): at the borrowing limit the face clips c
    at income where the optimum would dissave (low state: 0.12 against 0.0955) and leaves it
    where it saves (high state: 0.15); the interior's c there is the optimum V_a^(-1/γ) in both,
    so c jumps at the face in the low state, by 0.12 − 0.0955, and not in the high one."""
    compiled = _compiled()
    params = {k: jnp.asarray(v) for k, v in compiled.params.items()}
    c_free = np.array([0.12, 0.15])
    income = np.array([P.z_lo, P.z_hi]) + P.r * P.a_min
    moved = FACE + np.array([0.3, 0.0])  # a off the face: the face sets it
    ((face, inside),) = compiled.face_controls(
        _linear([-130.0, -128.0], c_free ** (-P.gamma)), params, jnp.asarray(moved)
    ).values()
    assert np.abs(np.asarray(inside) - c_free).max() < 1e-14
    assert np.abs(np.asarray(face) - np.minimum(c_free, income)).max() < 1e-14


def test_the_drift_at_the_face_points_inward_with_the_clipped_control():
    """What the run-time inward check evaluates at a state constraint: saving z + r a_min − c is
    0 in the low state (c clipped to income) and 0.1955 − 0.15 in the high one; without the
    face's steps the low state would dissave 0.0955 − 0.12."""
    compiled = _compiled()
    params = {k: jnp.asarray(v) for k, v in compiled.params.items()}
    fields = _linear([-130.0, -128.0], np.array([0.12, 0.15]) ** (-P.gamma))
    (face,) = compiled.system.boundaries
    clipped = np.asarray(compiled.dynamics(fields, params, jnp.asarray(FACE), face.steps)[0])[:, 0]
    free = np.asarray(compiled.dynamics(fields, params, jnp.asarray(FACE))[0])[:, 0]
    assert np.abs(clipped - [0.0, 0.1955 - 0.15]).max() < 1e-12
    assert abs(free[0] - (0.0955 - 0.12)) < 1e-12


def test_the_reference_satisfies_the_constrained_hjb_on_the_face():
    """At the shooting solution's values and slopes at a_min (v and u'(c) there), the face
    residual vanishes to rounding (measured: 2.9e-15 of ρ|v|; at the upwind scheme's,
    Richardson-extrapolated from 1001 and 2001 points, about 1e-4); the low state consumes its
    income there, the high one saves."""
    v, c = shooting(P)(np.array([P.a_min]))
    residual = _face_residuals(v[0], c[0] ** (-P.gamma))
    assert np.abs(residual).max() < 1e-12 * P.rho * np.abs(v[0]).max()
    assert c[0, 0] == pytest.approx(P.z_lo + P.r * P.a_min, rel=1e-12)
    assert c[0, 1] < P.z_hi + P.r * P.a_min - 0.05


def test_emit_latex_prints_the_constraint_and_the_bound():
    text = walras.load("consumption_saving").emit("latex")
    assert r"\mu^{a} &\ge 0 && \text{at } a = -0.15\text{: hjb with } c \le" in text


GROWTH = """model m
parameter rho = 0.05, gamma = 2, A = 1, delta = 0.1
state k in [1, 2]
control c > 0
unknown V(k)
process k: drift = {drift}
equation hjb: rho*V = max(c): c^(1 - gamma)/(1 - gamma) + drift(V)
{boundary}
"""


def _errors(text: str) -> list[tuple[str, int, int]]:
    with pytest.raises(EconError) as err:
        walras.load(text).checked  # noqa: B018
    return [(d.code, d.span.line, d.span.column) for d in err.value.diagnostics]


@pytest.mark.parametrize(
    "drift, boundary, code, col",
    [
        # outward at the lower edge
        ("A*k^0.3 - delta*k - c", "boundary at k = 1: drift(k) <= 0", "E166", 20),
        # not a drift
        ("A*k^0.3 - delta*k - c", "boundary at k = 1: d(V, k) >= 0", "E166", 20),
        # another condition on the face
        (
            "A*k^0.3 - delta*k - c",
            "boundary at k = 1: drift(k) >= 0\nboundary at k = 1: V = 0",
            "E166",
            1,
        ),
        # consumption enters the drift squared
        ("A*k^0.3 - delta*k - c^2", "boundary at k = 1: drift(k) >= 0", "E167", 20),
    ],
)
def test_misplaced_or_nonlinear_state_constraints_are_refused(drift, boundary, code, col):
    """With the code, the line and the column of the statement's left side."""
    assert (code, 8, col) in _errors(GROWTH.format(drift=drift, boundary=boundary))


@pytest.mark.parametrize(
    "process, message",
    [
        (
            "process y: drift = 0.1*(0.5 - y)\n",
            "the drift of 'y' at the face depends on no control",
        ),
        ("shock Z\nprocess y: vol[Z] = 0.1*y*(1 - y)\n", "'y' has no drift"),
    ],
)
def test_a_state_constraint_without_a_control_to_bound_is_refused(process, message):
    text = GROWTH.format(drift="A*k^0.3 - delta*k - c", boundary="") + (
        f"state y in [0, 1]\n{process}"
        "boundary at y = 0: drift(y) >= 0\nboundary at y = 1: drift(y) <= 0\n"
    )
    text = text.replace("unknown V(k)", "unknown V(k, y)")
    found = _errors(text)
    assert [c for c, *_ in found] == ["E167", "E167"]
    with pytest.raises(EconError, match=message) as err:
        walras.load(text).checked  # noqa: B018
    assert "^" in str(err.value)


@pytest.mark.parametrize(
    "utility, u, marginal",
    [
        # c = V_k^(-1/2): sympy's closed form
        ("c^(1 - gamma)/(1 - gamma)", lambda c: -1 / c, lambda c: c**-2),
        # no closed form: Newton's method per point
        ("log(c) - exp(-c)", lambda c: np.log(c) - np.exp(-c), lambda c: 1 / c + np.exp(-c)),
    ],
)
def test_a_binding_lower_edge_of_capital_clips_consumption(utility, u, marginal):
    """Growth on [1, 2] with `drift(k) >= 0` at k = 1: where the unconstrained optimum (u'(c) =
    V_k, solved here by scipy) exceeds output less depreciation, 1 - 0.1 = 0.9, the face consumes
    exactly that (zero investment): V_k = 0.5 gives 1.41 and 2.43; where it is below the face
    holds the ordinary HJB: V_k = 2 gives 0.71 and 0.67."""
    text = GROWTH.format(drift="A*k^0.3 - delta*k - c", boundary="boundary at k = 1: drift(k) >= 0")
    compiled = walras.load(text.replace("c^(1 - gamma)/(1 - gamma)", utility)).compile()
    params = {k: jnp.asarray(v) for k, v in compiled.params.items()}
    for slope in (0.5, 2.0):
        free = brentq(lambda c, s=slope: marginal(c) - s, 0.01, 100.0, xtol=1e-14)
        (r,) = compiled.boundary_residuals(
            {"V": lambda x, s=slope: -20.0 + s * (x[0] - 1)},
            params,
            {"boundary_k_lo": jnp.zeros((1, 1))},
        ).values()
        c = min(free, 0.9)
        assert (free > 0.9) == (slope == 0.5)
        expected = 0.05 * -20.0 - (u(c) + slope * (0.9 - c))
        assert abs(float(r[0]) - expected) < 1e-10


PORTFOLIO = """model m
parameter gamma = 2, rho = 0.05, r = 0.02, mu = 0.06, sigma = 0.2, y = 0.1, kappa = 0.1
state a in [LO, 2]
shock Z
control c > 0
control theta
unknown V(a)
let b = y + r*a + theta*a*(mu - r) - c
let s = theta*sigma*a
let u = c^(1 - gamma)/(1 - gamma)
process a: drift = b, vol[Z] = s
equation hjb: rho*V = max(c, theta): u - kappa*theta^2/2 + d(V, a)*b + 0.5*d(V, a, a)*s^2
boundary at a = LO: drift(a) >= 0
boundary at a = 2: V = -60
"""
SHARE = PORTFOLIO.replace("control theta", "control theta in [0, 1]").replace(
    " - kappa*theta^2/2", ""
)


@pytest.mark.parametrize("text", [PORTFOLIO, SHARE], ids=["costly", "bounded share"])
@pytest.mark.parametrize("slope", [36.0, 900.0])
def test_a_portfolio_share_that_leaves_the_drift_at_the_face_bounds_consumption(text, slope):
    """Wealth's drift y + r a + θ a (μ − r) − c holds c and the share θ, but at a = 0 only c:
    the face bounds c <= y and keeps θ's optimum, which leaves the HJB there ρV = u(c) + V_a (y −
    c), c = min(V_a^(−1/2), y) (θ = (μ − r) a V_a / (κ − σ²a²V_aa) = 0 with its cost; the bounded
    share's optimum, (μ − r) V_a / (−σ² a V_aa), is clipped to 1; θ·a = 0 either way). V = −120
    + s a − 15 a²: s = 36 gives c* = 1/6, clipped to 0.1; s = 900 gives 1/30, below it."""
    compiled = walras.load(text.replace("LO", "0")).compile()
    params = {k: jnp.asarray(v) for k, v in compiled.params.items()}
    fields = {"V": lambda x: -120.0 + slope * x[0] - 15.0 * x[0] ** 2}
    moved = jnp.asarray(np.array([[0.0], [0.7]]))  # the face sets a = 0
    r = compiled.boundary_residuals(fields, params, {"boundary_a_lo": moved}, "boundary_a_lo")
    r = r["boundary_a_lo"]
    c = min(slope**-0.5, 0.1)
    expected = 0.05 * -120.0 - (-1 / c + slope * (0.1 - c))
    assert np.abs(np.asarray(r) - expected).max() < 1e-12 * abs(expected)
    face = compiled.face_controls(fields, params, moved[1:])
    assert float(face["c"][0][0]) == pytest.approx(c, rel=1e-14)
    assert float(face["theta"][0][0]) == (1.0 if text is SHARE else 0.0)


SHARE_AT_NO_PREMIUM = """model m
parameter rho = 0.05, z = 0.1, excess = 0, sigma = 0.2, kappa = 0.1
state a in [0, 1.5]
shock Z
control c > 0
control theta
unknown V(a)
let b = z + theta*a*excess - c
let s = theta*sigma*a
process a: drift = b, vol[Z] = s
equation hjb: rho*V = max(c, theta): log(c) - kappa*theta^2/2 + d(V, a)*b + 0.5*d(V, a, a)*s^2
boundary at a = 0: drift(a) >= 0
let cg = z + sqrt(2*z*rho*a)
guess V = (log(cg) + z/cg - 1)/rho
"""


def test_a_costly_share_without_a_premium_solves_to_the_closed_form_of_one_income():
    """Log utility, no interest and no excess return: θ's optimum, excess·a·V_a /
    (κ − σ²a²V_aa), is 0, so wealth moves like one income z less consumption, whose closed form
    (test_root_map.py) c = −z W₋₁(−e^(−1 − ρa/z)), ρV = log c + z/c − 1 the solve meets end to
    end, the constraint bounding c at a = 0 although the drift holds θ too (measured: V 5e-16, c
    2e-14)."""
    rho, z = 0.05, 0.1
    solution = walras.solve(walras.load(SHARE_AT_NO_PREMIUM), method="collocation", quiet=True)
    a = np.linspace(0.0, 1.5, 301)
    c = np.where(a > 0, -z * lambertw(-np.exp(-1 - rho * a / z), -1).real, z)
    V = (np.log(c) + z / c - 1) / rho
    found = solution.evaluate({"a": a})
    assert solution.converged
    assert np.abs(found["V"].values - V).max() < 1e-12 * np.abs(V).max()
    assert np.abs(found["c"].values - c).max() < 1e-12
    assert np.abs(found["theta"].values).max() == 0.0


def test_a_drift_with_several_controls_at_the_face_is_refused():
    """At a = 0.5 the share still moves wealth's drift: which control the constraint bounds is
    not one, E167."""
    text = PORTFOLIO.replace("LO", "0.5")
    with pytest.raises(EconError, match="at the face depends on several controls") as err:
        walras.load(text).checked  # noqa: B018
    assert [d.code for d in err.value.diagnostics] == ["E167"]


def test_a_bounded_control_that_interacts_with_another_is_refused():
    """A term c·θ in the maximand: clipping c at the face would move θ's optimum, E164."""
    text = PORTFOLIO.replace("+ d(V, a)*b", "+ 0.001*c*theta + d(V, a)*b").replace("LO", "0")
    with pytest.raises(EconError, match="interacts in the maximand of 'hjb' with 'theta'") as err:
        walras.load(text).checked  # noqa: B018
    assert [(d.code, d.span.line) for d in err.value.diagnostics] == [("E164", 13)]


def test_the_library_model_solves_to_the_reference_with_defaults():
    """`walras.solve("consumption_saving")`, default settings (the file's guess and
    collocation): converged, and V and c within ten times their estimates and the reference's
    1e-9 of the shooting solution on the whole of [a_min, a_max], the borrowing limit included
    (measured: V 2.1e-11 of max |V|, estimate 2.1e-11; c 1.1e-8 of max c at a_min, where it is
    read from V's slope and grows like √(a − a_min), estimate 2.6e-9). At a_min the low state
    consumes its income (the bound binds) and the high state saves."""
    solution = walras.solve("consumption_saving")
    assert solution.converged, solution.message
    for name, gap in distances(solution, P, state="a", value="V").items():
        assert gap <= 10 * solution.errors[name] + 1e-9
    at_limit = solution.evaluate({"a": np.array([P.a_min]), "s": np.array([0.0, 1.0])})
    c_limit = at_limit["c"].values.ravel()
    income = np.array([P.z_lo, P.z_hi]) + P.r * P.a_min
    assert c_limit[0] == pytest.approx(income[0], abs=1e-8)
    assert c_limit[1] < income[1] - 0.05
