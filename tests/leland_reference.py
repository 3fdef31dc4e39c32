"""Leland (1994)'s equity value and default boundary, written without walras: in closed form on
an unbounded cash-flow range, and semi-analytically on a range truncated at `top` with the slope
of the claim to the cash flow imposed there (the library model's domain, EconPDEs.jl's example).

Above the default boundary δ* the HJB r E = δ − (1−τ)C + μ δ E' + ½σ² δ² E'' is an Euler
equation: E = δ/(r − μ) − (1−τ)C/r + A δ^β₋ + B δ^β₊, with β± the roots of
½σ²β(β − 1) + μβ − r = 0. Value matching and smooth pasting (E = E' = 0 at δ*) fix A and B for a
given δ*; the slope at `top` then fixes δ* (scipy's brentq). Unbounded (B = 0), δ* has the closed
form β₋/(β₋ − 1) (r − μ)(1 − τ)C/r."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.optimize import brentq


@dataclass(frozen=True)
class Leland:
    """The parameters of the library model `leland` (walras/models/leland.econ)."""

    r: float = 0.02
    mu: float = 0.0
    sigma: float = 0.1
    C: float = 0.05
    tau: float = 0.2
    top: float = 0.2  # the top of the cash-flow range, where E' = 1/(r − μ)

    def roots(self) -> tuple[float, float]:
        a, b = 0.5 * self.sigma**2, self.mu - 0.5 * self.sigma**2
        disc = np.sqrt(b * b + 4 * a * self.r)
        return (-b - disc) / (2 * a), (-b + disc) / (2 * a)

    def unbounded_boundary(self) -> float:
        low, _ = self.roots()
        return low / (low - 1) * (self.r - self.mu) * (1 - self.tau) * self.C / self.r

    def _weights(self, boundary: float) -> np.ndarray:
        """(A, B) from value matching and smooth pasting at `boundary`."""
        low, high = self.roots()
        slope, coupon = 1 / (self.r - self.mu), (1 - self.tau) * self.C / self.r
        m = np.array(
            [
                [boundary**low, boundary**high],
                [low * boundary ** (low - 1), high * boundary ** (high - 1)],
            ]
        )
        return np.linalg.solve(m, [coupon - slope * boundary, -slope])

    def boundary(self) -> float:
        """δ* of the truncated problem: the slope of E at `top` is 1/(r − μ)."""
        low, high = self.roots()

        def excess_slope(d):
            a, b = self._weights(d)
            return a * low * self.top ** (low - 1) + b * high * self.top ** (high - 1)

        guess = self.unbounded_boundary()
        return brentq(excess_slope, 0.5 * guess, min(1.5 * guess, 0.99 * self.top), xtol=1e-15)

    def equity(self, delta: np.ndarray) -> np.ndarray:
        """E(δ) of the truncated problem: 0 up to δ*, the Euler-equation solution above."""
        low, high = self.roots()
        d_star = self.boundary()
        a, b = self._weights(d_star)
        delta = np.asarray(delta, float)
        above = np.maximum(delta, d_star)
        value = (
            above / (self.r - self.mu)
            - (1 - self.tau) * self.C / self.r
            + a * above**low
            + b * above**high
        )
        return np.where(delta >= d_star, value, 0.0)
