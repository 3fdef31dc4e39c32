"""The Huggett consumption-saving problem with two income states, by the implicit upwind
finite-difference scheme of Achdou, Han, Lasry, Lions and Moll (2022), numerical appendix: written
without walras, with numpy and scipy.sparse.

    ρ v_j(a) = max_c u(c) + v_j'(a) (z_j + r a − c) + λ_j (v_k(a) − v_j(a)),   u(c) = c^(1−γ)/(1−γ)

on a ∈ [a_min, a_max] with r < ρ. v' is the forward difference where the saving it implies is
positive, the backward one where that is negative, and u'(z_j + r a) where neither (zero saving);
the state constraint a ≥ a_min is the backward difference at a_min set to u'(z_j + r a_min), so
saving never points out of the domain. Each step solves ((ρ + 1/Δ) I − A(v)) v⁺ = u(c) + v/Δ
(A the generator of the upwind drift and the income switches) with a large Δ until v stops
moving. The scheme is first order in the grid step; `extrapolated` Richardson-extrapolates two
grids (step h and h/2) at the coarse grid's points: 2·fine − coarse.

`shooting` solves the same problem to about 1e-10, as ODEs in consumption (below); the upwind
scheme converges to it (tests/test_huggett.py), and it is the reference the solvers are held to.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sparse
from scipy.integrate import solve_bvp, solve_ivp
from scipy.sparse.linalg import spsolve

FLOOR = 1e-12  # the smallest slope of v used in an iteration


@dataclass(frozen=True)
class Huggett:
    """The parameters of the library model `huggett` (walras/models/huggett.econ)."""

    gamma: float = 2.0
    rho: float = 0.05
    r: float = 0.03
    z_lo: float = 0.1
    z_hi: float = 0.2
    lam_lo: float = 1.5  # rate of leaving the low state
    lam_hi: float = 1.0  # rate of leaving the high state
    a_min: float = -0.15
    a_max: float = 2.0


def solve(p: Huggett, points: int, delta: float = 1000.0, tol: float = 1e-12, steps: int = 200):
    """(a, v, c): the grid of `points` points and v, c of shape (points, 2) (low, high state)."""
    a = np.linspace(p.a_min, p.a_max, points)
    da = a[1] - a[0]
    z = np.array([p.z_lo, p.z_hi])
    income = z[None, :] + p.r * a[:, None]  # consumption at zero saving
    marginal = income ** (-p.gamma)
    u = lambda c: c ** (1 - p.gamma) / (1 - p.gamma)  # noqa: E731
    v = u(income) / p.rho
    switches = sparse.bmat(
        [
            [-p.lam_lo * sparse.eye(points), p.lam_lo * sparse.eye(points)],
            [p.lam_hi * sparse.eye(points), -p.lam_hi * sparse.eye(points)],
        ]
    )
    for _ in range(steps):
        forward, backward = marginal.copy(), marginal.copy()  # the edges: zero saving
        # a slope ≤ 0 on the way (never at the fixed point, where v increases) means unbounded
        # consumption: floored, it is a large dissaving, upwinded like any other
        forward[:-1] = backward[1:] = np.maximum(np.diff(v, axis=0) / da, FLOOR)
        save_f = income - forward ** (-1 / p.gamma)
        save_b = income - backward ** (-1 / p.gamma)
        up, down = save_f > 0, (save_b < 0) & ~(save_f > 0)
        slope = np.where(up, forward, np.where(down, backward, marginal))
        c = slope ** (-1 / p.gamma)
        lower = -np.minimum(save_b, 0) / da * down  # coefficient on v(a − da)
        upper = np.maximum(save_f, 0) / da * up  # on v(a + da)
        blocks = [
            sparse.diags(
                [lower[1:, j], -(lower[:, j] + upper[:, j]), upper[:-1, j]], [-1, 0, 1]
            ).tocsc()
            for j in range(2)
        ]
        generator = sparse.block_diag(blocks) + switches
        system = (p.rho + 1 / delta) * sparse.eye(2 * points) - generator
        rhs = (u(c) + v / delta).ravel(order="F")
        new = spsolve(system.tocsc(), rhs).reshape((points, 2), order="F")
        change = np.abs(new - v).max()
        v = new
        if change < tol * np.abs(v).max():
            return a, v, c
    raise RuntimeError(f"the finite-difference iteration did not settle (last change {change:g})")


def extrapolated(p: Huggett, points: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(a, v, c) on the grid of `points` points, Richardson-extrapolated from it and the grid of
    2·points − 1 (half the step): 2·fine − coarse at the coarse points."""
    a, v, c = solve(p, points)
    _, v2, c2 = solve(p, 2 * points - 1)
    return a, 2 * v2[::2] - v, 2 * c2[::2] - c


def shooting(p: Huggett, start: float = 1e-6):
    """Consumption and value on [a_min, a_max] from the Euler equations as ODEs.

    The envelope condition of the HJB, v_j' = c_j^(−γ), gives for each state j (k the other)

        c_j' = c_j N_j / (γ (c_j − z_j − r a)),   N_j = ρ − r − λ_j ((c_j/c_k)^γ − 1),

    singular where saving vanishes: at a_min in the low state, where the limit binds (c_0 =
    z_0 + r a_min, and c_0 − c_0(a_min) grows like √(a − a_min): c_0 = c_0(a_min) + κx in
    x = √(a − a_min), κ² = 2 c_0 N_0/γ), and at the point a* where the high state turns from
    saving to dissaving (N_1 = 0 there for c_1 to stay smooth: c_1(a*) = z_1 + r a*, c_0(a*) =
    c_1(a*) (1 + (ρ − r)/λ_1)^(−1/γ), and c_1'(a*) the positive root of the quadratic from
    l'Hôpital's rule). c_1(a_min) is found by bisection (above it the path from the limit
    reaches zero saving before N_1 = 0, below it N_1 = 0 first), and that path is kept a
    quarter of the way to where the paths on either side of it part; from there to a* the two
    equations are a boundary value problem with a* unknown (scipy's solve_bvp: c_0 from the
    path, both from the path back from a* a tenth of the way), and past a* both states
    dissave, integrated on from the expansion at a*. Each piece leaves its singular point along
    the expansion, from `start` off it. The value then follows from the HJB at each point, a
    2 × 2 linear system in (v_0, v_1) given c. Returns a function a ↦ (v, c), each of shape
    (len(a), 2). Assumes the low state's limit binds and the high state turns from saving to
    dissaving inside (a_min, a_max); raises otherwise."""
    g, rho, r = p.gamma, p.rho, p.r
    z, lam = np.array([p.z_lo, p.z_hi]), np.array([p.lam_lo, p.lam_hi])
    tight = {"method": "DOP853", "rtol": 1e-13, "atol": 1e-15}
    c_limit = z[0] + r * p.a_min
    patience = 1 + (rho - r) / lam[1]  # (c_1/c_0)^γ at a*

    def excess(c, j):  # N_j
        return rho - r - lam[j] * ((c[j] / c[1 - j]) ** g - 1)

    def slope(a, c):
        return np.array([c[j] * excess(c, j) / (g * (c[j] - z[j] - r * a)) for j in (0, 1)])

    def in_x(x, c):
        return 2 * x * slope(p.a_min + x * x, c)

    def from_limit(c1, to, **events):
        kappa = np.sqrt(2 * c_limit * excess((c_limit, c1), 0) / g)
        begin = [c_limit + kappa * start, c1]
        return solve_ivp(in_x, (start, np.sqrt(to - p.a_min)), begin, **tight, **events)

    def at_turn(turn):
        """c(a*) and c'(a*)."""
        c1 = z[1] + r * turn
        c = np.array([c1 * patience ** (-1 / g), c1])
        e = slope(turn, c)[0]
        b, q = lam[1] * patience - r, lam[1] * patience * c1 * e / c[0]
        return c, np.array([e, (np.sqrt(b * b + 4 * q) - b) / 2])  # d² + b d − q = 0, d > 0

    def overshoots(c1):
        """Whether the path from the limit with c_1(a_min) = c1 reaches zero saving in the high
        state before N_1 = 0, and where it stops."""
        saving = lambda x, c: z[1] + r * (p.a_min + x * x) - c[1]  # noqa: E731
        turns = lambda x, c: excess(c, 1)  # noqa: E731
        saving.terminal = turns.terminal = True
        path = from_limit(c1, p.a_max, events=(saving, turns))
        if path.t_events[0].size:
            return True, p.a_min + path.t_events[0][0] ** 2
        if path.t_events[1].size:
            return False, p.a_min + path.t_events[1][0] ** 2
        if path.status == 0:
            raise ValueError("the high state saves on the whole domain")
        # the step collapsed before an event: c_1 rising into zero saving, or c_0 into its own
        return excess(path.y[:, -1], 1) < 0, p.a_min + path.t[-1] ** 2

    low, high = c_limit, z[1] + r * p.a_min  # c_1(a_min) saves and exceeds c_0(a_min)
    while high - low > 1e-13 * high:
        middle = (low + high) / 2
        above, apart = overshoots(middle)
        low, high = (low, middle) if above else (middle, high)
    meet = p.a_min + (apart - p.a_min) / 4  # the path's error grows on the way to `apart`
    first = from_limit(low, meet, dense_output=True)

    a, _, c = solve(p, 1001)  # the start of the middle piece, on [meet, a* − near]
    turn = a[z[1] + r * a - c[:, 1] > 0][-1]
    near = (turn - meet) / 10  # the path from a* is integrated back this far
    t = np.linspace(0, 1, 100)
    guess = np.array([np.interp(meet + t * (turn - near - meet), a, c[:, j]) for j in (0, 1)])

    def from_turn(turn, to):
        c, dc = at_turn(turn)
        side = np.sign(to - turn)
        begin = c + side * start * dc
        return solve_ivp(slope, (turn + side * start, to), begin, dense_output=True, **tight)

    def stretched(t, c, u):  # the middle piece on t ∈ [0, 1], a = meet + t (a* − near − meet)
        span = u[0] - near - meet
        return span * slope(meet + t * span, c)

    def ends(left, right, u):
        return np.array(
            [left[0] - first.y[0, -1], *(right - from_turn(u[0], u[0] - near).y[:, -1])]
        )

    middle = solve_bvp(stretched, ends, t, guess, p=[turn], tol=1e-10, max_nodes=100_000)
    if middle.status != 0 or abs(middle.y[1, 0] - first.y[1, -1]) > 1e-9:
        raise RuntimeError(f"the middle piece did not solve: {middle.message}")
    turn = middle.p[0]
    if not meet < turn < p.a_max:
        raise ValueError("the high state must turn from saving to dissaving inside the domain")
    back, past = from_turn(turn, turn - near), from_turn(turn, p.a_max)
    hjb = np.array([[rho + lam[0], -lam[0]], [-lam[1], rho + lam[1]]])

    def at(a):
        a = np.asarray(a, dtype=float)
        c = np.empty((a.size, 2))
        pieces = (
            (a < meet, lambda a: first.sol(np.sqrt(a - p.a_min))),
            (
                (a >= meet) & (a < turn - near),
                lambda a: middle.sol((a - meet) / (turn - near - meet)),
            ),
            ((a >= turn - near) & (a < turn), back.sol),
            (a >= turn, past.sol),
        )
        for where, piece in pieces:
            if where.any():
                c[where] = piece(a[where]).T
        c[a == p.a_min, 0] = c_limit
        utility = c ** (1 - g) / (1 - g) + c ** (-g) * (z + r * a[:, None] - c)
        return np.linalg.solve(hjb, utility.T).T, c

    return at


def distances(solution, p: Huggett, state: str = "x", value: str = "v", points: int = 4001):
    """The largest distance of a walras solution's c and value (named `value`) from `shooting`
    on `points` points of [a_min, a_max], each relative to the reference's largest size; the
    solution's state is `state` (x = √(a − a_min), or a)."""
    a = np.linspace(p.a_min, p.a_max, points)
    v, c = shooting(p)(a)
    at = np.sqrt(a - p.a_min) if state == "x" else a
    found = [solution.evaluate({state: at, "s": np.array([s])}) for s in (0.0, 1.0)]
    gaps = {}
    for name, ref in (("c", c), (value, v)):
        mine = np.stack([f[name].values.ravel() for f in found], 1)
        gaps[name] = float(np.abs(mine - ref).max() / np.abs(ref).max())
    return gaps
