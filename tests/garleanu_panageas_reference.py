"""An independent reference for Garleanu-Panageas (2015) with EconPDEs.jl's parameters: the four
ratios pA, pB (wealth-consumption of the two types) and phi1, phi2 (the two labour-income
claims) of x, the consumption share of type A, on [0, 1].

At both edges the volatility of x vanishes and its drift points into the domain, so the
equations hold there and no condition is given. Finite differences on a uniform grid: central
differences for the second derivative, the three-point second-order difference in the
direction of the drift of x for the first (forward where the drift is positive, as upwinding
does; one-sided at the edges), the direction of each node frozen during a Newton step and
updated between steps. Newton's method with a banded Jacobian (finite differences, columns
coloured five nodes apart), started from the solution on half the grid (the coarsest from
a pseudo-time walk), then Richardson extrapolation from h and h/2.

The grid crowds geometrically towards x = 0 (`grid`), where the solution has a layer of width
about 1e-3: the drift of x there, 9e-5, is small against its volatility, about 0.25 x, so pA
rises from 13.6 at x = 0 to 20.6 at x = 0.01 and 29.7 at x = 0.1 (38.0 at x = 1).

Measured convergence (the model's parameters, on 1001 points of [0, 1] and 200 of the layer,
each unknown relative to its largest value): the plain scheme's differences fall fourfold per
halving (5.8e-5, 1.5e-5, 3.7e-6, 9.3e-7, 2.3e-7 from 200 to 6400 steps, at seven points from
x = 0 to 1); the extrapolated values of the pairs (n, 2n) differ from those of (n/2, n) by 9.3e-6,
1.1e-6, 1.4e-7, 1.7e-8, 2.2e-9 for n = 200, 400, 800, 1600, 3200 (eightfold per halving). The
default pair (3200, 6400) is taken to be good to 1e-8 (the tests' allowance for it). walras's
residuals of the file's equations at this reference are below 1e-7 (the equations' scale, 1/p,
is 0.03 to 0.3)."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from scipy.interpolate import CubicSpline
from scipy.linalg import solve_banded

NAMES = ("pA", "pB", "phi1", "phi2")
OTHER = (30.0, 25.0, 13.0, 12.0)  # constants of the solution's size, from which Newton's method
# reaches another equilibrium of the same equations (pA(0) = 20.20 instead of 13.60)
CROWD = 1e-4  # the grid's scale at x = 0, where the solution has a layer of width ~1e-3


class Grid(NamedTuple):
    x: np.ndarray
    h: float  # step of ξ
    slope: np.ndarray  # dx/dξ
    bend: np.ndarray  # d²x/dξ²


def parameters(p: dict) -> dict:
    """The model's parameters with B1, B2 normalised (a newborn's human capital is one)."""
    q = dict(p)
    scale = (
        q["delta"] / (q["delta"] + q["delta1"]) * 30.72
        - q["delta"] / (q["delta"] + q["delta2"]) * 30.29
    )
    q["B1"], q["B2"] = 30.72 / scale, -30.29 / scale
    return q


def economy(p: dict, x, u, du):
    """Drift, volatility of x, the riskless rate, the price of risk and the pieces of the four
    equations at x, given the unknowns u (4, n) and their first derivatives du (4, n)."""
    gA, gB, yA, yB = p["gamma_A"], p["gamma_B"], p["psi_A"], p["psi_B"]
    sig, mu, delta = p["sigma"], p["mu"], p["delta"]
    pA, pB, f1, f2 = u
    cA = (1 - gA * yA) / (gA * (yA - 1))
    cB = (1 - gB * yB) / (gB * (yB - 1))
    gam = 1 / (x / gA + (1 - x) / gB)
    la, lb = du[0] / pA, du[1] / pB  # pA'/pA, pB'/pB
    # sigma_x = x (kappa/gA + cA la sigma_x - sigma): linear in sigma_x
    sx = (
        sig
        * x
        * (gam / gA - 1)
        / (1 + gam * x * (1 - x) / (gA * gB) * (gB * cB * lb - gA * cA * la))
    )
    spA, spB = la * sx, lb * sx
    kappa = gam * (sig - x * cA * spA - (1 - x) * cB * spB)
    sCA, sCB = kappa / gA + cA * spA, kappa / gB + cB * spB
    mA = kappa**2 * (1 + yA) / (2 * gA) + cA * kappa * spA - cA / 2 * spA**2
    mB = kappa**2 * (1 + yB) / (2 * gB) + cB * kappa * spB - cB / 2 * spB**2
    human = p["omega"] * (p["B1"] * f1 + p["B2"] * f2)
    r = p["rho"] + (
        mu - x * mA - (1 - x) * mB - delta * ((p["nu_A"] / pA + (1 - p["nu_A"]) / pB) * human - 1)
    ) / (yA * x + yB * (1 - x))
    muCA, muCB = yA * (r - p["rho"]) + mA, yB * (r - p["rho"]) + mB
    mx = x * (muCA - mu) + delta * (p["nu_A"] * human / pA - x) - sig * sx
    # each equation: 1/u + a + (u' mx + u'' sx^2/2)/u + b u'/u  (b multiplies sigma_x u'/u)
    growth = np.stack(
        [
            muCA - r - delta - kappa * sCA,
            muCB - r - delta - kappa * sCB,
            mu - delta - p["delta1"] - r - kappa * sig,
            mu - delta - p["delta2"] - r - kappa * sig,
        ]
    )
    loading = np.stack([sCA - kappa, sCB - kappa, sig - kappa + 0 * x, sig - kappa + 0 * x])
    return mx, sx, r, kappa, growth, loading


def grid(intervals: int, crowd: float = CROWD):
    """Nodes x = crowd*(e^(k ξ) - 1) for ξ uniform on [0, 1] (x(1) = 1), with dx/dξ and
    d²x/dξ²: steps of about crowd*k/intervals at x = 0, growing geometrically."""
    k = np.log(1 / crowd + 1)
    xi = np.linspace(0.0, 1.0, intervals + 1)
    grow = crowd * np.exp(k * xi)
    x = grow - crowd
    x[0], x[-1] = 0.0, 1.0
    return Grid(x, xi[1], k * grow, k**2 * grow)


def _derivatives(u, g, forward):
    """First derivatives (second-order, one-sided in the frozen direction; at the edges
    inward) and central second derivatives (one-sided at the edges, where sigma_x = 0)."""
    n, h = u.shape[1], g.h
    fwd = np.empty_like(u)
    bwd = np.empty_like(u)
    fwd[:, :-2] = (-3 * u[:, :-2] + 4 * u[:, 1:-1] - u[:, 2:]) / (2 * h)
    fwd[:, -2:] = (u[:, -1:] - u[:, -3:-1]) / h if n > 2 else 0
    bwd[:, 2:] = (3 * u[:, 2:] - 4 * u[:, 1:-1] + u[:, :-2]) / (2 * h)
    bwd[:, :2] = (u[:, 1:3] - u[:, 0:2]) / h
    fwd[:, -2] = (u[:, -1] - u[:, -3]) / (2 * h)  # central next to the top edge
    fwd[:, -1] = bwd[:, -1]  # the top edge: inward
    bwd[:, 1] = (u[:, 2] - u[:, 0]) / (2 * h)
    bwd[:, 0] = fwd[:, 0]  # the bottom edge: inward
    du = np.where(forward, fwd, bwd)
    d2 = np.empty_like(u)
    d2[:, 1:-1] = (u[:, 2:] - 2 * u[:, 1:-1] + u[:, :-2]) / h**2
    d2[:, 0], d2[:, -1] = d2[:, 1], d2[:, -2]
    central = np.gradient(u, h, axis=1)  # the map's term in the second derivative
    return du / g.slope, (d2 - g.bend * central / g.slope) / g.slope**2


def residual(p: dict, g, u, forward):
    """The four equations at every node (each the model's equation, as in the .econ file)."""
    du, d2 = _derivatives(u, g, forward)
    mx, sx, _, _, growth, loading = economy(p, g.x, u, du)
    return 1 / u + growth + (du * mx + 0.5 * d2 * sx**2) / u + loading * sx * du / u


def _direction(p, g, u):
    du = np.gradient(u, g.h, axis=1) / g.slope
    return (economy(p, g.x, u, du)[0] > 0)[None, :].repeat(4, 0)


def _jacobian_bands(p, g, u, forward):
    """The banded Jacobian of the residual (unknowns interleaved per node), exact to rounding
    by complex steps (the Jacobian is ill-conditioned, about 1e7, so finite differences would
    slow Newton down): a node's residual reads nodes i-2..i+2, so a step at every fifth node
    of one unknown at once gives their columns from one evaluation."""
    n = g.x.size
    width = 4 * 3 - 1  # entries up to 4*2+3 off the diagonal
    bands = np.zeros((2 * width + 1, 4 * n))
    for k in range(4):
        for start in range(5):
            nodes = np.arange(start, n, 5)
            v = u.astype(complex)
            v[k, nodes] += 1e-30j
            df = residual(p, g, v, forward).imag / 1e-30
            for node in nodes:
                lo, hi = max(node - 2, 0), min(node + 3, n)
                rows = (4 * np.arange(lo, hi)[:, None] + np.arange(4)[None, :]).ravel()
                bands[width + rows - (4 * node + k), 4 * node + k] = df[:, lo:hi].T.ravel()
    return width, bands


def _solve(p, g, u, old=None, dt=np.inf, forward=None):
    """One Newton step for residual(u) = 0, or with old and dt for the implicit pseudo-time
    step (u - old)/dt = u*residual(u); the upwind directions from u unless given."""
    forward = _direction(p, g, u) if forward is None else forward
    f = residual(p, g, u, forward)
    width, bands = _jacobian_bands(p, g, u, forward)
    if old is None:
        rhs = -f.T.ravel()
    else:  # G = (u - old)/dt - u f; G' = 1/dt - f - u J
        flat = u.T.ravel()
        j = np.arange(bands.shape[1])
        for d in range(-width, width + 1):
            i = j + d
            ok = (i >= 0) & (i < flat.size)
            bands[width + d, j[ok]] *= -flat[i[ok]]
        bands[width] += 1 / dt - f.T.ravel()
        rhs = -((u - old) / dt - u * f).T.ravel()
    step = solve_banded((width, width), bands, rhs).reshape(-1, 4).T
    return step, np.abs(f).max()


def newton(p: dict, g, u, tol=1e-10, iterations=60):
    """Newton's method from u (halving steps that leave u > 0); the upwind directions follow
    the iterate, then stay frozen once the step is small (they may flip back and forth where
    the drift of x vanishes)."""
    forward = None
    for _ in range(iterations):
        step, _ = _solve(p, g, u, forward=forward)
        t = 1.0
        while np.any(u + t * step <= 0):
            t /= 2
        u = u + t * step
        size = np.abs(step / u).max()
        if t == 1.0 and size < tol:
            return u
        if size < 1e-6 and forward is None:
            forward = _direction(p, g, u)
    raise RuntimeError("the reference's Newton iteration did not converge")


def pseudo_time(p: dict, g, u, dt=100.0, grow=3.0, steps=100):
    """Implicit pseudo-time steps (u - old)/dt = u*residual(u), dt growing, from a constant
    start until the residual is small enough for Newton's method."""
    for _ in range(steps):
        old = u
        for _ in range(10):
            step, _ = _solve(p, g, u, old, dt)
            u = np.maximum(u + step, 0.5 * u)
            if np.abs(step / u).max() < 1e-8:
                break
        if np.abs(residual(p, g, u, _direction(p, g, u))).max() < 1e-6:
            return u
        dt *= grow
    raise RuntimeError("the reference's pseudo-time walk did not settle")


def solve_fd(p: dict, intervals: int, start=None, constants=None):
    """The plain scheme on `intervals` steps of ξ, from `start` (a coarser solution as (grid,
    values)), else on 50 steps from 100 steps walked in pseudo-time from ones, or with
    `constants` (one per unknown) by Newton's method from those constants directly (which
    reaches other equilibria: `OTHER`); returns (grid, values)."""
    g = grid(intervals)
    if start is None:
        coarse = grid(50)
        if constants is None:
            begin = pseudo_time(p, coarse, np.ones((4, 51)))
        else:
            begin = np.asarray(constants, float)[:, None] * np.ones((4, 51))
        start = (coarse, newton(p, coarse, begin))
    u = np.array([np.interp(g.x, start[0].x, v) for v in start[1]])
    return g, newton(p, g, u)


_CACHE: dict = {}


def reference(p: dict, x, intervals: int = 3200, constants=None) -> np.ndarray:
    """Richardson extrapolation of the plain scheme from `intervals` and twice as many steps,
    at x (shape (4, len(x)): pA, pB, phi1, phi2); cached per parameters. The equilibrium the
    pseudo-time walk from ones reaches, or with `constants` the one Newton's method reaches
    from them (`OTHER`)."""
    p = parameters(p)
    key = (tuple(sorted(p.items())), intervals, constants)
    if key not in _CACHE:
        coarse = solve_fd(p, intervals // 4, constants=constants)
        h = solve_fd(p, intervals, coarse)
        fine = solve_fd(p, 2 * intervals, h)
        # every node of the coarser grid is a node of the finer: extrapolate there
        _CACHE[key] = (h[0].x, (4 * fine[1][:, ::2] - h[1]) / 3)
    nodes, values = _CACHE[key]
    return CubicSpline(nodes, values, axis=1)(np.asarray(x, float))
