"""Long-run covariances of moment series: White (no lags) and kernel (Newey-West) estimators."""

from __future__ import annotations

import numpy as np


def kernel_weights(lags: int, kernel: str = "bartlett") -> np.ndarray:
    """Weights w_0 … w_lags of the autocovariances (w_0 = 1)."""
    x = np.arange(lags + 1) / (lags + 1)
    if kernel == "bartlett":
        return 1.0 - x
    if kernel == "parzen":
        return np.where(x <= 0.5, 1 - 6 * x**2 + 6 * x**3, 2 * (1 - x) ** 3)
    raise ValueError(f"unknown kernel {kernel!r}")


def long_run(
    z: np.ndarray, lags: int | None = None, kernel: str = "bartlett", center: bool = False
) -> np.ndarray:
    """S = (1/T) [Γ_0 + Σ_j w_j (Γ_j + Γ_j')] with Γ_j = Σ_t z_t z_{t-j}'; lags None or 0: White."""
    z = np.asarray(z, dtype=float)
    if center:
        z = z - z.mean(0)
    s = z.T @ z
    if lags:
        w = kernel_weights(lags, kernel)
        for j in range(1, min(lags, len(z) - 1) + 1):
            g = z[j:].T @ z[:-j]
            s = s + w[j] * (g + g.T)
    s = s / len(z)
    return (s + s.T) / 2
