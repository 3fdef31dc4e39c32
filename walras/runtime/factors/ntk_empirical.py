"""The empirical neural tangent kernel of any network walras trains, by Jacobian contractions.

For a function f(p, x) of parameters p, Θ(x1, x2) = J1 J2' with J = ∂f/∂p. Neither Jacobian is
formed: each column of J2' is a vector-Jacobian product (a P-vector), and J1 times it is a
Jacobian-vector product, so the memory is that of a few parameter vectors at any width.
"""

from __future__ import annotations

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import xarray as xr

MAX_ASSETS = 256  # the kernel of a period is (N·K)²


def empirical_ntk(f, params, x1, x2) -> jnp.ndarray:
    """Θ with shape f(params, x1).shape + f(params, x2).shape; `params` any pytree of arrays."""
    out2, pullback = jax.vjp(lambda p: f(p, x2), params)

    def column(cotangent):
        (tangent,) = pullback(cotangent)
        return jax.jvp(lambda p: f(p, x1), (params,), (tangent,))[1]

    basis = jnp.eye(out2.size, dtype=out2.dtype).reshape((out2.size, *out2.shape))
    cols = jax.lax.map(column, basis)  # (out2.size, *out1.shape)
    return jnp.moveaxis(cols, 0, -1).reshape(cols.shape[1:] + out2.shape)


def loadings_ntk(model, x1, m1, x2, m2) -> jnp.ndarray:
    """Θ of a loading network (NeurIF, autoencoder) between two periods' assets: (N1, K, N2, K).
    The parameters are the model's arrays; x (N, L) characteristics, m (N,) observed."""
    params, static = eqx.partition(model, eqx.is_inexact_array)

    def f(p, xm):
        return eqx.combine(p, static).loadings(*xm)

    return empirical_ntk(f, params, (x1, m1), (x2, m2))


def kernel_movement(initial, trained, p, train: np.ndarray) -> xr.Dataset:
    """The loadings' NTK (summed over factors) among the assets of the last training period, at
    initialisation and after training, and its relative change ‖Θ_T − Θ_0‖_F/‖Θ_0‖_F (0 in the
    lazy, kernel regime; large when the network learns features)."""
    t = int(np.nonzero(train & p.mask.any(1))[0][-1])
    keep = np.nonzero(p.mask[t])[0][:MAX_ASSETS]
    x, m = jnp.asarray(p.chars[t][keep]), jnp.asarray(p.mask[t][keep])
    kernels = [
        np.einsum("ikjk->ij", np.asarray(loadings_ntk(model, x, m, x, m)))
        for model in (initial, trained)
    ]
    change = np.linalg.norm(kernels[1] - kernels[0]) / np.linalg.norm(kernels[0])
    labels = [p.entities[i] for i in keep]
    doc = f"empirical NTK of the loadings, summed over factors, {str(p.dates[t])[:10]}"
    return xr.Dataset(
        {
            "loadings_ntk": (
                ("ntk_stage", "ntk_asset", "ntk_asset_2"),
                np.stack(kernels),
                {"long_name": doc},
            ),
            "ntk_change": (
                (),
                change,
                {"long_name": "relative change of the loadings' NTK in training"},
            ),
        },
        coords={"ntk_stage": ["initial", "trained"], "ntk_asset": labels, "ntk_asset_2": labels},
    )
