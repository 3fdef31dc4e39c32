"""An independent reference for He-Krishnamurthy (2013) with EconPDEs.jl's parameters: the
specialists' wealth-consumption ratio pS(x) of their wealth share x, on (0, 1].

The intermediaries' risky share is alpha_I = max(1/(1 - lambda(1 - x)), 1/((1 + m)x)): the
equity constraint binds below x* = (1 - lambda)/(1 + m - lambda), a closed form here. The ODE
for pS is written out as in the paper and EconPDEs' example (goods-market clearing gives
the price-dividend ratio p from pS; the volatility of x solved from its loop through p'), not
through walras. Its coefficients are continuous at x*, so pS is twice differentiable there
(its third derivative jumps).

At x = 1 the volatility of x vanishes and its drift (-l/p) points inward: the equation holds
there. Towards x = 0 the drift of x grows like 1/x against a small volatility (0 is never
reached) and pS falls like a power of x (about x^0.5); the grid is uniform in t = log x from
about log(1e-8) to 0, with a node at x*, and at its lowest node the second derivative of
log pS in t vanishes (a power law). Moving that cut changes pS (relative to its largest value)
by 7.4e-6 from 1e-8 to 1e-4 and 5.2e-9 from 1e-8 to 1e-6 (shrinking like cut^1.5): at 1e-8 it
leaves about 1e-11.

Second-order finite differences: central second differences, the three-point difference in the
direction of the drift of t for the first (as upwinding does; the direction from the iterate,
then frozen), Newton's method with a banded Jacobian by complex steps, then Richardson
extrapolation from n and 2n steps. Measured convergence (pS relative to its largest value,
32.338 at x = 1, on 500 points of [1e-6, 1]): the plain scheme changes by 4.5e-5, 1.2e-5,
3.0e-6 between 50, 100, 200 and 400 steps per unit of t (fourfold per halving); the
extrapolated values of successive pairs differ by 7.8e-7, 1.0e-7, 1.3e-8, 1.7e-9 from
(50, 100) to (800, 1600) (eightfold per halving). The default pair (400, 800), about 5 s, is
taken to be good to 1e-8 (the tests' allowance for it)."""

from __future__ import annotations

import numpy as np
from scipy.interpolate import CubicSpline
from scipy.linalg import solve_banded

CUT = 1e-8  # the grid's lowest x: a power law below


def switch(p: dict) -> float:
    """x*: where the equity constraint starts to bind."""
    return (1 - p["lambda"]) / (1 + p["m"] - p["lambda"])


def equity(p: dict, x):
    """The share of the households' wealth held as intermediaries' equity: what they want,
    1 - lambda, capped at m times the specialists' wealth, m x/(1 - x)."""
    x = np.asarray(x, float)
    return np.minimum(1 - p["lambda"], p["m"] * x / np.maximum(1 - x, 1e-300))


def economy(p: dict, x, u, du, d2):
    """The specialists' pricing equation at x (its residual) and the economy's other objects,
    given pS, pS' and pS''."""
    m, lam, g, sig, rho, gam, labour = (
        p[k] for k in ("m", "lambda", "g", "sigma", "rho", "gamma", "l")
    )
    bound = x < switch(p)
    alpha_i = np.where(bound, 1 / ((1 + m) * x), 1 / (1 - lam * (1 - x)))
    # households' exposure (1 - x alpha_I)/(1 - x), written without 0/0 at x = 1
    alpha_h = np.where(bound, m / ((1 + m) * (1 - np.where(bound, x, 0))), (1 - lam) * alpha_i)
    # goods market: x/pS + (1 - x) rho = (1 + l)/p
    den = x / u + (1 - x) * rho
    den_x = 1 / u - rho - x * du / u**2
    den_xx = -2 * du / u**2 - x * d2 / u**2 + 2 * x * du**2 / u**3
    price = (1 + labour) / den
    price_x = -(1 + labour) * den_x / den**2
    price_xx = (1 + labour) * (2 * den_x**2 / den**3 - den_xx / den**2)
    # sigma_x = x (alpha_I - 1)(sigma + sigma_p), sigma_p = p'/p sigma_x: linear in sigma_x
    lever = x * (alpha_i - 1)
    sigma_x = lever * sig / (1 - lever * price_x / price)
    sigma_ps, sigma_p = du / u * sigma_x, price_x / price * sigma_x
    sigma_r = sig + sigma_p
    kappa = gam * (alpha_i * sigma_r - sigma_ps)
    mu_x = x * (1 - x) * ((alpha_i - alpha_h) * (kappa - sigma_r) * sigma_r - 1 / u + rho)
    mu_x = mu_x - x * labour / price
    mu_ps = (du * mu_x + 0.5 * d2 * sigma_x**2) / u
    mu_p = (price_x * mu_x + 0.5 * price_xx * sigma_x**2) / price
    r = 1 / price + g + mu_p + sig * sigma_p - kappa * sigma_r
    sigma_c = kappa / gam
    mu_c = (r - rho) / gam + (1 + 1 / gam) / (2 * gam) * kappa**2
    residual = 1 / u + mu_c + mu_ps + sigma_c * sigma_ps - r - kappa * (sigma_c + sigma_ps)
    return residual, {"mu_x": mu_x, "sigma_x": sigma_x, "kappa": kappa, "r": r, "p": price}


def _derivatives(u, h, forward):
    """du/dt one-sided (second order) in the frozen direction, inward at the ends; d²u/dt²
    central, and at the cut that of a power law ((log u)'' = 0)."""
    ahead, behind = np.empty_like(u), np.empty_like(u)
    ahead[:-2] = (-3 * u[:-2] + 4 * u[1:-1] - u[2:]) / (2 * h)
    behind[2:] = (3 * u[2:] - 4 * u[1:-1] + u[:-2]) / (2 * h)
    ahead[-2] = (u[-1] - u[-3]) / (2 * h)  # central next to the ends
    behind[1] = (u[2] - u[0]) / (2 * h)
    ahead[-1], behind[0] = behind[-1], ahead[0]
    central = np.empty_like(u)
    central[1:-1] = (u[2:] - u[:-2]) / (2 * h)
    central[0], central[-1] = ahead[0], behind[-1]
    du = np.select([forward > 0, forward < 0], [ahead, behind], central)
    d2 = np.empty_like(u)
    d2[1:-1] = (u[2:] - 2 * u[1:-1] + u[:-2]) / h**2
    d2[0] = du[0] ** 2 / u[0]
    d2[-1] = 2 * d2[-2] - d2[-3]  # x = 1: sigma_x = 0, so it does not enter
    return du, d2


def _residual(p, t, u, forward):
    x = np.exp(t)
    du, d2 = _derivatives(u, t[1] - t[0], forward)
    return economy(p, x, u, du / x, (d2 - du) / x**2)


def _direction(p, t, u):
    """The sign of the drift of t = log x: the direction of the one-sided differences."""
    x = np.exp(t)
    _, d = _residual(p, t, u, np.zeros(u.size))
    return np.sign(d["mu_x"] / x - 0.5 * (d["sigma_x"] / x) ** 2)


def _newton(p, t, u, tol=1e-12, iterations=80):
    """Newton's method with halved steps while pS would not stay positive; the upwind direction
    from the iterate for the first steps, then frozen."""
    forward = None
    for k in range(iterations):
        if k < 20:
            forward = _direction(p, t, u)
        f = _residual(p, t, u, forward)[0]
        bands = np.zeros((5, u.size))
        for start in range(5):  # a node's residual reads nodes i-2..i+2
            nodes = np.arange(start, u.size, 5)
            v = u.astype(complex)
            v[nodes] += 1e-30j
            df = _residual(p, t, v, forward)[0].imag / 1e-30
            for offset in range(-2, 3):
                ok = (nodes + offset >= 0) & (nodes + offset < u.size)
                bands[2 + offset, nodes[ok]] = df[nodes[ok] + offset]
        step = solve_banded((2, 2), bands, -f)
        s = 0.5 if k < 5 else 1.0
        while np.any(u + s * step <= 0):
            s /= 2
        u = u + s * step
        if s == 1.0 and np.abs(step / u).max() < tol:
            return u
    raise RuntimeError("the reference's Newton iteration did not converge")


def grid(p: dict, steps: int) -> np.ndarray:
    """Nodes of t = log x from log CUT or a little below to 0, `steps` of them above x*, which
    is a node (the solution's third derivative jumps there), and a whole multiple below."""
    top = -np.log(switch(p))
    below = steps * int(np.ceil((np.log(switch(p)) - np.log(CUT)) / top))
    return np.log(switch(p)) + top / steps * np.arange(-below, steps + 1)


def solve_fd(p: dict, steps: int, start=None):
    """The plain scheme with `steps` steps of t = log x above x*; returns (t, pS)."""
    t = grid(p, steps)
    # from a power law x^(1/2) (the behaviour at 0) if not from a coarser solution
    u = 30 * np.exp(t / 2) if start is None else np.interp(t, *start)
    return t, _newton(p, t, u)


def walked(p: dict, start: dict, steps: int, parts: int = 30):
    """The plain scheme at `p` with `steps` steps per unit of log x, reached from the parameters
    `start` (where the start from a power law converges) by moving every parameter along a
    straight line in `parts` steps, each from the last solution: for parameters where the power
    law is too far (γ = 5, where pS(1) is six times its value at γ = 2)."""
    u = solve_fd(start, 40)
    for k in range(parts + 1):
        q = {n: start[n] + k / parts * (p[n] - start[n]) for n in p}
        u = solve_fd(q, int(round(-np.log(switch(q)) * steps)), u)
    return u


_CACHE: dict = {}


def reference(p: dict, x, per_unit: int = 400, start: dict | None = None) -> np.ndarray:
    """pS at x (in [CUT, 1]): Richardson extrapolation from `per_unit` and twice as many steps
    per unit of log x; cached per parameters. With `start`, parameters from which to walk
    (`walked`) when the start from a power law does not converge."""
    key = (tuple(sorted(p.items())), per_unit)
    if key not in _CACHE:
        steps = int(round(-np.log(switch(p)) * per_unit))
        try:
            plain = solve_fd(p, steps, solve_fd(p, 40))
        except RuntimeError:
            if start is None:
                raise
            plain = walked(p, start, per_unit)
        fine = solve_fd(p, 2 * steps, plain)
        _CACHE[key] = (plain[0], (4 * fine[1][::2] - plain[1]) / 3)
    t, values = _CACHE[key]
    return CubicSpline(t, values)(np.log(np.asarray(x, float)))
