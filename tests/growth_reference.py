"""The stable arm of the neoclassical growth model, independently of walras: consumption c(k)
from the Euler equation c'(k) = (c/γ)(f'(k) − δ − ρ)/(f(k) − δk − c), f(k) = A k^α, integrated
with scipy from the steady state, where it is 0/0 and the stable arm leaves with the positive
root s of s² − ρ s + (c*/γ) f''(k*) = 0; the value from the HJB with V'(k) = c^(−γ):
ρ V = u(c) + c^(−γ)(f(k) − δk − c)."""

from __future__ import annotations

import numpy as np
from scipy.integrate import solve_ivp


def stable_arm(k, gamma, alpha, A, delta, rho, step=1e-6):
    """c(k) and V(k) on the stable arm at the points `k` (ascending), leaving the steady state
    at distance `step` along the arm's slope."""
    f = lambda k: A * k**alpha  # noqa: E731
    fp = lambda k: alpha * A * k ** (alpha - 1)  # noqa: E731
    k_ss = (alpha * A / (rho + delta)) ** (1 / (1 - alpha))
    c_ss = f(k_ss) - delta * k_ss
    h_k = c_ss / gamma * alpha * (alpha - 1) * A * k_ss ** (alpha - 2)
    slope = (rho + np.sqrt(rho**2 - 4 * h_k)) / 2

    def euler(k, c):
        return c / gamma * (fp(k) - delta - rho) / (f(k) - delta * k - c)

    c = np.empty_like(k, dtype=float)
    for side, part in ((-1, k < k_ss), (1, k >= k_ss)):
        if not part.any():
            continue
        start = k_ss + side * step
        ends = k[part] if side > 0 else k[part][::-1]
        sol = solve_ivp(
            euler,
            (start, ends[-1]),
            [c_ss + slope * side * step],
            t_eval=ends,
            rtol=1e-12,
            atol=1e-14,
            method="DOP853",
        )
        c[part] = sol.y[0] if side > 0 else sol.y[0][::-1]
    value = (c ** (1 - gamma) / (1 - gamma) + c ** (-gamma) * (f(k) - delta * k - c)) / rho
    return c, value
