"""The analytic NTK against the empirical NTK of wide ReLU networks, and NTK regression."""

import jax
import jax.numpy as jnp
import numpy as np
import pandas as pd

import walras.runtime.factors as F
from walras.compiler.factors import factor_specs
from walras.grammar import parse
from walras.runtime.factors.ntk import ntk, ntk_predict


def network(params, x):
    """NTK parameterisation: h¹ = W¹x/√d, h^{l+1} = √(2/n) W^{l+1} relu(h^l)."""
    h = params[0] @ x / np.sqrt(x.shape[0])
    for w in params[1:]:
        h = np.sqrt(2.0 / h.shape[0]) * (w @ jax.nn.relu(h))
    return h[0]


def empirical(params, xs):
    jac = jax.vmap(jax.grad(network), in_axes=(None, 0))(params, xs)
    flat = jnp.concatenate([j.reshape(len(xs), -1) for j in jac], axis=1)
    return flat @ flat.T


def test_analytic_ntk_matches_wide_networks_within_sampling_error():
    rng = np.random.default_rng(0)
    d, width, depth, seeds = 4, 1024, 2, 6
    xs = jnp.asarray(rng.normal(size=(5, d)))
    draws = []
    for s in range(seeds):
        keys = jax.random.split(jax.random.PRNGKey(s), depth + 1)
        shapes = [(width, d)] + [(width, width)] * (depth - 1) + [(1, width)]
        params = [jax.random.normal(k, sh) for k, sh in zip(keys, shapes)]
        draws.append(np.asarray(empirical(params, xs)))
    draws = np.array(draws)
    mean, sem = draws.mean(0), draws.std(0, ddof=1) / np.sqrt(seeds)
    analytic = np.asarray(ntk(xs, xs, depth))
    assert np.all(np.abs(mean - analytic) < 4 * sem + 1e-3 * np.abs(analytic))
    # and the spread shrinks like 1/√width: each draw is within 15% at this width
    assert np.max(np.abs(draws - analytic) / np.abs(analytic).max()) < 0.15


def test_ntk_regression_interpolates_and_is_symmetric():
    rng = np.random.default_rng(1)
    x = jnp.asarray(rng.normal(size=(30, 3)))
    k = np.asarray(ntk(x, x, 3))
    np.testing.assert_allclose(k, k.T, atol=1e-12)
    assert np.linalg.eigvalsh(k).min() > 0
    y = jnp.asarray(rng.normal(size=30))
    np.testing.assert_allclose(np.asarray(ntk_predict(x, y, x, 3, 1e-10)), np.asarray(y), atol=1e-5)


def test_ntk_panel_predicts_a_nonlinear_characteristic_effect():
    rng = np.random.default_rng(2)
    N, T = 40, 30
    dates = pd.date_range("2000-01-31", periods=T, freq="ME")
    x = rng.normal(size=(T, N, 2))
    r = np.tanh(2 * x[..., 0]) * 0.5 + 0.3 * x[..., 1] ** 2 + 0.1 * rng.normal(size=(T, N))
    df = pd.DataFrame(
        {
            "id": np.tile(np.arange(N), T),
            "month": np.repeat(dates, N),
            "ret": r.ravel(),
            "a": x[..., 0].ravel(),
            "b": x[..., 1].ravel(),
        }
    )
    spec = factor_specs(
        parse("""factor_model k
data panel "p.csv" entity = id, time = month
returns ret
instruments a, b
factors latent 1
estimate ntk(depth = 2, ridge = 0.5)
split train < 2002-01
""")
    )["k"]
    ds = F.estimate(spec, data=df)
    oracle = 1 - np.sum(
        (r - np.tanh(2 * x[..., 0]) * 0.5 - 0.3 * x[..., 1] ** 2)[24:] ** 2
    ) / np.sum(r[24:] ** 2)
    xa = np.column_stack([np.ones(24 * N), x[:24].reshape(-1, 2)])
    b = np.linalg.lstsq(xa, r[:24].ravel(), rcond=None)[0]
    pred = np.column_stack([np.ones(6 * N), x[24:].reshape(-1, 2)]) @ b
    linear = 1 - np.sum((r[24:].ravel() - pred) ** 2) / np.sum(r[24:] ** 2)
    assert oracle - 0.15 < float(ds.ntk_r2_oos) <= oracle and float(ds.ntk_r2_oos) > linear + 0.1
