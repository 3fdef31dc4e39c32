"""An independent reference for Campbell-Cochrane (1999) on EconPDEs.jl's domain: the
price-consumption ratio p(s) of the linear pricing ODE

    ½σ_s² p'' + (μ_s + σ_s σ − κ σ_s) p' + (μ − r − κ σ) p + 1 = 0,   s in [−300, s_max],

with p'(−300) = 0 (EconPDEs' reflecting edge) and no condition at s_max, where σ_s vanishes and
the risk-neutral drift points into the domain (the equation itself holds there).

Finite differences, second order, on a grid uniform in ξ in [0, 1] with s = s_max −
c(e^(k(1−ξ)) − 1), c = 0.3 (steps of about c·k/intervals near s_max, growing geometrically down
to −300): central differences for the second derivative and the map's term, the three-point
difference against the drift (the risk-neutral drift of s is negative everywhere), the
reflecting edge by a mirrored ghost point. A banded solve (scipy), then Richardson extrapolation
from h and h/2.

Measured convergence (the model's parameters, max p = 35.504 at s_max, p(−300) = 5.291): the
plain scheme's successive differences from 2^11 to 2^16 intervals are 3.6e-7, 1.0e-7, 2.6e-8,
7.9e-9, 2.2e-9 of max p (ratios 3.4 to 3.8 per halving); the extrapolated values of the pairs
(2^12, 2^13), (2^13, 2^14), (2^14, 2^15) differ by 1.0e-8, 1.7e-9, 3.2e-10 of max p. The default
pair (2^14, 2^15) is taken to be good to 1e-8 of max p (the tests' allowance for it)."""

from __future__ import annotations

import numpy as np
from scipy.interpolate import CubicSpline
from scipy.linalg import solve_banded

LOWEST = -300.0


def coefficients(p: dict, s: np.ndarray):
    """The ODE's coefficients at s: diffusion ½σ_s², risk-neutral drift, and the rate on p."""
    mu, sigma, gamma, rho, kappa_s, b = (
        p[k] for k in ("mu", "sigma", "gamma", "rho", "kappa_s", "b")
    )
    s_bar_level = sigma * np.sqrt(gamma / (kappa_s - b / gamma))
    s_bar = np.log(s_bar_level)
    lam = np.sqrt(np.maximum(1 - 2 * (s - s_bar), 0.0)) / s_bar_level - 1
    sigma_s = lam * sigma
    price_of_risk = gamma * (sigma + sigma_s)
    r = rho + gamma * mu - (gamma * kappa_s - b) / 2 + b * (s_bar - s)
    drift = -kappa_s * (s - s_bar) + sigma_s * sigma - price_of_risk * sigma_s
    return 0.5 * sigma_s**2, drift, mu - r - price_of_risk * sigma


def top(p: dict) -> float:
    """s_max = s̄ + ½(1 − S̄²), where σ_s = 0."""
    level = p["sigma"] * np.sqrt(p["gamma"] / (p["kappa_s"] - p["b"] / p["gamma"]))
    return float(np.log(level) + 0.5 * (1 - level**2))


def solve_fd(p: dict, intervals: int, scale: float = 0.3) -> tuple[np.ndarray, np.ndarray]:
    """The plain second-order scheme on `intervals` equal steps of ξ in [0, 1], s = s_max −
    scale·(e^(k(1−ξ)) − 1) (steps of about scale·k/intervals near s_max, growing
    geometrically down to −300); returns (grid, p)."""
    hi = top(p)
    k = np.log((hi - LOWEST) / scale + 1)
    xi = np.linspace(0.0, 1.0, intervals + 1)
    h = xi[1]
    grow = scale * np.exp(k * (1 - xi))
    s = hi - (grow - scale)
    s[0] = LOWEST
    slope, bend = k * grow, -(k**2) * grow  # ds/dξ, d²s/dξ²
    diffusion, drift, rate = coefficients(p, s)
    assert np.all(drift < 0), "the risk-neutral drift of s points down everywhere"
    # p_s = p_ξ/s', p_ss = (p_ξξ − s'' p_ξ/s')/s'^2: diffusion and the map's term central,
    # the drift by the three-point difference against it (backward)
    curv, bend_drift, adv = diffusion / slope**2, -diffusion * bend / slope**3, drift / slope
    upper = curv / h**2 + bend_drift / (2 * h)
    diag = -2 * curv / h**2 + rate + 3 * adv / (2 * h)
    lower = curv / h**2 - bend_drift / (2 * h) - 4 * adv / (2 * h)
    lower2 = adv / (2 * h)
    # reflecting lowest edge: p'(s_0) = 0, a ghost point mirroring ξ_1 (ξ_2 behind ξ_0 for ξ_1)
    upper[0], diag[0], lower[0] = 2 * curv[0] / h**2, -2 * curv[0] / h**2 + rate[0], 0
    diag[1] += lower2[1]
    n = s.size
    bands = np.zeros((4, n))  # superdiagonal, diagonal, subdiagonal, second subdiagonal
    bands[0, 1:] = upper[:-1]
    bands[1] = diag
    bands[2, :-1] = lower[1:]
    bands[3, :-2] = lower2[2:]
    return s, solve_banded((2, 1), bands, -np.ones(n))


def reference(p: dict, s: np.ndarray, intervals: int = 2**17) -> np.ndarray:
    """p at the points s: the Richardson extrapolation of the grids with `intervals` and twice
    as many steps, interpolated (cubic, from the fine grid's spacing)."""
    coarse_s, coarse = solve_fd(p, intervals)
    fine_s, fine = solve_fd(p, 2 * intervals)
    extrapolated = (4 * fine[::2] - coarse) / 3
    return CubicSpline(coarse_s, extrapolated)(np.asarray(s, float))
