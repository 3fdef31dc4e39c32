"""Kernel regression with the neural tangent kernel of a fully connected ReLU network.

The network, in the NTK parameterisation with standard normal weights and biases:
h¹ = W¹x/√d + σ_b b¹, h^{l+1} = √(2/n) W^{l+1} relu(h^l) + σ_b b^{l+1} for l = 1…depth, the last
layer having one output (σ_b = `bias`; 0 is the network without biases). Its infinite-width
kernel follows the arc-cosine recursion (Jacot et al. 2018; Arora et al. 2019):

    Σ¹ = x·x'/d + σ_b²,  Θ¹ = Σ¹,
    Σ^{l+1} = (√(Σ_xx Σ_yy)/π) (sin θ + (π − θ) cos θ) + σ_b²,  Σ̇^{l+1} = (π − θ)/π,
    cos θ = Σ/√(Σ_xx Σ_yy),  Σ_xx^{l+1} = Σ_xx^l + σ_b²,
    Θ^{l+1} = Σ^{l+1} + Θ^l Σ̇^{l+1}.

Prediction: ŷ = Θ(x*, X)(Θ(X, X) + ridge·I)⁻¹ y, the function a very wide network trained by
gradient flow on squared loss converges to (for ridge → 0).
"""

from __future__ import annotations

from functools import partial

import jax
import jax.numpy as jnp
import numpy as np
import xarray as xr

from .data import fail

MAX_TRAIN = 20_000


@partial(jax.jit, static_argnames=("depth",))
def nngp_ntk(x1: jnp.ndarray, x2: jnp.ndarray, depth: int, bias: float = 0.0):
    """(Σ, Θ) of the output of a ReLU network with `depth` hidden layers and bias scale σ_b =
    `bias`: its NNGP covariance and its NTK; x1 (n, d), x2 (m, d)."""
    d = x1.shape[1]
    b2 = bias**2
    s = x1 @ x2.T / d + b2
    s1 = jnp.sum(x1 * x1, 1) / d + b2
    s2 = jnp.sum(x2 * x2, 1) / d + b2
    theta = s
    for _ in range(depth):
        norm = jnp.sqrt(jnp.outer(s1, s2))
        cos = jnp.clip(s / jnp.where(norm > 0, norm, 1.0), -1.0, 1.0)
        ang = jnp.arccos(cos)
        s = norm / jnp.pi * (jnp.sin(ang) + (jnp.pi - ang) * cos) + b2
        theta = s + theta * (jnp.pi - ang) / jnp.pi
        s1, s2 = s1 + b2, s2 + b2  # 2 E[relu(u)²] = Var u, plus the bias
    return s, theta


def ntk(x1: jnp.ndarray, x2: jnp.ndarray, depth: int, bias: float = 0.0) -> jnp.ndarray:
    """Θ(x1, x2) for a ReLU network with `depth` hidden layers and bias scale σ_b = `bias`;
    x1 (n, d), x2 (m, d)."""
    return nngp_ntk(x1, x2, depth, bias)[1]


@partial(jax.jit, static_argnames=("depth", "factors"))
def cae_ntk(x1, z1, x2, z2, depth: int, bias: float = 0.0, factors: int = 1, weights=None):
    """The infinite-width NTK of the conditional autoencoder r̂_it = β(x_it)'f_t between cells:
    β the ReLU network above with `factors` outputs, f_t = W z_t/√L the factor layer (no bias,
    W standard normal (factors, L)) on the managed portfolios z_t. x (n, d) the cells'
    characteristics, z (n, L) their periods' portfolios. Averaged over the loading network:
    Θ_β(x, x')⟨f_t, f_s⟩ + K Σ_β(x, x')⟨z_t, z_s⟩/L with `weights` W given, and over W too,
    K⟨z_t, z_s⟩/L (Θ_β + Σ_β), when it is None."""
    sigma, theta = nngp_ntk(x1, x2, depth, bias)
    zz = z1 @ z2.T / z1.shape[1]
    if weights is None:
        return factors * zz * (theta + sigma)
    ff = (z1 @ weights.T) @ (z2 @ weights.T).T / z1.shape[1]
    return theta * ff + factors * sigma * zz


@jax.jit
def kernel_predict(k_train, k_test, y_train, ridge: float):
    """Θ(x*, X)(Θ(X, X) + ridge·I)⁻¹ y from the two kernel matrices."""
    eye = jnp.eye(k_train.shape[0])
    return k_test @ jax.scipy.linalg.solve(k_train + ridge * eye, y_train, assume_a="pos")


def ntk_predict(x_train, y_train, x_test, depth: int, ridge: float, bias: float = 0.0):
    k = ntk(x_train, x_train, depth, bias)
    return kernel_predict(k, ntk(x_test, x_train, depth, bias), y_train, ridge)


def ntk_panel(spec, p, e, split) -> xr.Dataset:
    """Predict each (asset, month) return from its characteristics; train on non-test periods."""
    fit_on = ~split["test"] if split["test"].any() else np.ones(len(p.dates), bool)
    train = p.mask & fit_on[:, None]
    n = int(train.sum())
    if n > MAX_TRAIN:
        fail(
            "F111",
            f"NTK regression on {n} training cells exceeds {MAX_TRAIN}",
            spec.spans.get("estimate"),
            "train on fewer periods (split) or a sample of assets",
        )
    o, cells = e.options, jnp.asarray(p.chars.reshape(-1, p.chars.shape[-1]))
    if o["architecture"] == "autoencoder":  # each cell's period's managed portfolio z_t
        from .neural import managed

        z = jnp.repeat(managed(p.chars, p.returns, p.mask), p.mask.shape[1], axis=0)
        args = (o["depth"], o["bias"], spec.latent or 1)
        kernel = lambda a, b: cae_ntk(cells[a], z[a], cells[b], z[b], *args)
    else:
        kernel = lambda a, b: ntk(cells[a], cells[b], o["depth"], o["bias"])
    fit, every = np.flatnonzero(train.ravel()), np.arange(cells.shape[0])
    y = jnp.asarray(p.returns.ravel()[fit])
    k_fit = kernel(fit, fit)
    pred = np.asarray(kernel_predict(k_fit, kernel(every, fit), y, o["ridge"]))
    pred = pred.reshape(p.returns.shape)
    pred = np.where(p.mask, pred, np.nan)
    ds = xr.Dataset(coords={"time": ("time", np.asarray(p.dates)), "asset": list(p.entities)})
    ds["ntk_prediction"] = (("time", "asset"), pred)
    test = p.mask & ~fit_on[:, None]
    scope = test if test.any() else train
    r2 = 1 - np.sum((p.returns - np.nan_to_num(pred))[scope] ** 2) / np.sum(p.returns[scope] ** 2)
    doc = "NTK regression R² " + ("out of sample" if test.any() else "in sample")
    if o["architecture"] == "autoencoder":
        doc += " (total: factors from the period's own returns)"
    ds["ntk_r2_oos" if test.any() else "ntk_r2"] = ((), float(r2), {"long_name": doc})
    return ds
