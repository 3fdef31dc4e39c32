"""Neural instrumented factor models: NeurIF and the conditional autoencoder.

Both predict r_{t,i} = β(x_{t,i}, ·)'f_t from lagged characteristics x and factors f_t built from
the characteristic-managed portfolios z_t = Σ_i m_ti x_ti r_ti / Σ_i m_ti (m the mask).

- `attention` (NeurIF; the architecture, each component switchable, is in `neurif.py`).
- `autoencoder` (Gu, Kelly and Xiu 2021): β = MLP(x); f_t = linear(z_t).

Loss: masked mean squared error, plus `orthogonality` × Σ off-diagonal correlations² of the factors,
plus `instrument` × the share of the loadings not linear in the characteristics. Missing cells are
zeroed before any arithmetic and carry no weight, so their stored values cannot matter. Training:
full-batch Adam on the training periods, early stopping on the validation periods' loss.
"""

from __future__ import annotations

from dataclasses import dataclass

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import optax
import xarray as xr

from ..devices import Devices, choose
from .evaluation import accuracy, baselines, long_short, tangency_sharpe
from .neurif import NeurIF


class Autoencoder(eqx.Module):
    beta: eqx.nn.MLP
    f: eqx.nn.Linear

    def __init__(self, L, K, hidden, layers, key):
        k1, k2 = jax.random.split(key)
        self.beta = eqx.nn.MLP(L, K, hidden, layers, activation=jax.nn.relu, key=k1)
        self.f = eqx.nn.Linear(L, K, use_bias=False, key=k2)

    def loadings(self, x, m):
        return jax.vmap(self.beta)(x)

    def factors(self, z):
        return jax.vmap(self.f)(z)


def managed(x, r, m):
    """The characteristic-managed portfolios z_t = Σ_i m_ti x_ti r_ti / Σ_i m_ti, (T, L)."""
    s = jnp.einsum("tnl,tn->tl", jnp.where(m[..., None], x, 0.0), jnp.where(m, r, 0.0))
    return s / jnp.maximum(m.sum(1), 1)[:, None]


def predict(model, x, r, m):
    """Loadings (T, N, K), factors (T, K) and fitted returns (T, N); masked cells zeroed first."""
    z = managed(x, r, m)
    x = jnp.where(m[..., None], x, 0.0)
    beta = jax.vmap(model.loadings)(x, m)
    f = model.factors(z)
    return beta, f, jnp.einsum("tnk,tk->tn", beta, f)


def loss(model, x, r, m, periods, orthogonality, instrument):
    beta, f, fit = predict(model, x, r, m)
    w = m & periods[:, None]
    mse = jnp.sum(jnp.where(w, (r - fit) ** 2, 0.0)) / jnp.maximum(w.sum(), 1)
    fc = jnp.where(periods[:, None], f - jnp.sum(f * periods[:, None], 0) / periods.sum(), 0.0)
    cov = fc.T @ fc
    corr = cov / jnp.sqrt(jnp.outer(jnp.diag(cov), jnp.diag(cov)) + 1e-12)
    ortho = jnp.sum((corr - jnp.diag(jnp.diag(corr))) ** 2)
    xw = jnp.where(w[..., None], x, 0.0).reshape(-1, x.shape[-1])
    bw = jnp.where(w[..., None], beta, 0.0).reshape(-1, beta.shape[-1])
    proj = xw @ jnp.linalg.lstsq(xw, bw)[0]
    instr = jnp.sum((bw - proj) ** 2) / (jnp.sum(bw**2) + 1e-12)
    return mse + orthogonality * ortho + instrument * instr, mse


@dataclass(frozen=True)
class Trained:
    model: eqx.Module
    epochs: int
    best_epoch: int
    valid_loss: float


@eqx.filter_jit
def _step(
    params, state, static, devices, x, r, m, tr, va, lr, weight_decay, orthogonality, instrument
):
    """One Adam step on the training loss, the periods sharded over `devices`; returns the
    validation MSE after it."""
    x, r, m, tr, va = devices.split((x, r, m, tr, va))
    opt = optax.adamw(lr, weight_decay=weight_decay)
    f = lambda p: loss(eqx.combine(p, static), x, r, m, tr, orthogonality, instrument)[0]
    updates, state = opt.update(jax.grad(f)(params), state, params)
    params = optax.apply_updates(params, updates)
    valid = loss(eqx.combine(params, static), x, r, m, va, 0.0, 0.0)[1]
    return devices.whole((params, state, valid))


def train(
    model,
    x,
    r,
    m,
    split,
    lr=1e-3,
    epochs=100,
    patience=20,
    orthogonality=0.0,
    instrument=0.0,
    weight_decay=0.0,
    devices: Devices | None = None,
) -> Trained:
    """Adam on the training periods (sharded over `devices`, by default
    `runtime.devices.choose()`); keep the parameters with the lowest validation MSE."""
    devices = devices or choose()
    data = tuple(jnp.asarray(a) for a in (x, r, m, split["train"], split["valid"]))
    params, static = eqx.partition(model, eqx.is_inexact_array)
    state = optax.adamw(lr, weight_decay=weight_decay).init(params)
    # placed whole on every device (the step shards the periods), so XLA picks no layout of its own
    data, params, state = devices.replicate((data, params, state))
    best, best_loss, best_epoch, waited = params, np.inf, 0, 0
    use_valid = bool(np.any(split["valid"]))
    for epoch in range(1, epochs + 1):
        params, state, v = _step(
            params, state, static, devices, *data, lr, weight_decay, orthogonality, instrument
        )
        v = float(v)
        if not use_valid or v < best_loss:
            best, best_loss, best_epoch, waited = params, v, epoch, 0
        else:
            waited += 1
            if waited >= patience:
                break
    return Trained(eqx.combine(best, static), epoch, best_epoch, best_loss)


def r2(fit, r, m, periods) -> float:
    """1 − Σ(r − r̂)²/Σr² over the observed cells of `periods` (uncentred, as IPCA's)."""
    return accuracy(fit, r, m, periods)["r2"]


def forecast(beta, f, observed) -> np.ndarray:
    """r̂_t = β_t'f̄_{<t}: the loadings (from characteristics known before t) times the mean of
    the factors of the earlier periods with data, so no return of period t enters r̂_t."""
    f = np.where(observed[:, None], np.asarray(f), 0.0)
    count = np.concatenate([[0], np.cumsum(observed)[:-1]])
    past = np.concatenate([np.zeros((1, f.shape[1])), np.cumsum(f, 0)[:-1]])
    mean = past / np.maximum(count, 1)[:, None]
    return np.einsum("tnk,tk->tn", np.asarray(beta), mean)


def _out_of_sample(p, split, beta, f, total, ahead, o) -> xr.Dataset:
    """Test-period accuracy (the total fit when the factors use the period's own returns, and the
    forecast), long-short portfolios on the loadings, and the PCA / RP-PCA baselines."""
    test, train = split["test"], split["train"] & p.mask.any(1)
    ds = xr.Dataset()
    for kind, pred, what in (
        ("total", total, "factors from the period's own returns"),
        ("pred", ahead, "forecast from information before the period"),
    ):
        if pred is None:
            continue
        for stat, value in accuracy(pred, p.returns, p.mask, test).items():
            ds[f"{stat}_{kind}_oos"] = ((), value, {"long_name": f"out-of-sample {stat} ({what})"})
    f = np.asarray(f)
    sign = np.where(f[train].mean(0) < 0, -1.0, 1.0)  # oriented by the training-period premia
    ls, sharpe, t = long_short(beta, p.returns, p.mask, test, sign)
    ds["long_short"] = (("time", "factor"), ls, {"long_name": "top less bottom fifth on loadings"})
    ds["long_short_sharpe"] = ("factor", sharpe, {"long_name": "Sharpe ratio per period"})
    ds["long_short_t"] = ("factor", t, {"long_name": "t-statistic of the mean"})
    ds["factor_sharpe_oos"] = ((), tangency_sharpe(f[train], f[test]))
    z = np.asarray(managed(p.chars, p.returns, p.mask))
    base = baselines(z, train, test, f.shape[1], o["rp_gamma"])
    ds = ds.assign_coords(baseline=list(base))
    doc = "out-of-sample total R² of the managed portfolios"
    ds["baseline_r2_oos"] = ("baseline", [v[0] for v in base.values()], {"long_name": doc})
    doc = "out-of-sample Sharpe ratio of the tangency portfolio of the factors"
    ds["baseline_sharpe_oos"] = ("baseline", [v[1] for v in base.values()], {"long_name": doc})
    return ds


def build(spec, L: int, seed: int):
    o = spec.loadings.options
    key = jax.random.PRNGKey(seed)
    if spec.loadings.name == "attention":
        switches = {k: o[k] for k in ("channel", "spatial", "positions", "forecast")}
        temporal = "temporal_attention" in spec.flags
        return NeurIF(
            L, spec.latent, o["width"], o["heads"], o["layers"], temporal, key, **switches
        )
    return Autoencoder(L, spec.latent, o["hidden"], o["layers"], key)


def train_panel(spec, p, e, split) -> xr.Dataset:
    o = e.options
    model = build(spec, len(p.characteristics), o["seed"])
    pen = spec.penalties
    fit = train(
        model,
        p.chars,
        p.returns,
        p.mask,
        split,
        o["lr"],
        o["epochs"],
        o["patience"],
        pen.get("orthogonality", 0.0),
        pen.get("instrument", 0.0),
        pen.get("weight_decay", 0.0),
    )
    beta, f, fitted = predict(
        fit.model, jnp.asarray(p.chars), jnp.asarray(p.returns), jnp.asarray(p.mask)
    )
    ahead = forecast(beta, f, p.mask.any(1))
    K = spec.latent
    ds = xr.Dataset(
        coords={
            "time": ("time", np.asarray(p.dates)),
            "asset": list(p.entities),
            "factor": [f"f{k + 1}" for k in range(K)],
        }
    )
    ds["factors"] = (("time", "factor"), np.asarray(f))
    ds["loadings"] = (
        ("time", "asset", "factor"),
        np.where(p.mask[..., None], np.asarray(beta), np.nan),
    )
    own = not getattr(fit.model, "forecast", False)  # f_t from period t's own returns
    where = "factors from the period's own returns" if own else "a forecast"
    doc = f"total R² (training periods; {where})"
    ds["r2_total"] = ((), r2(fitted, p.returns, p.mask, split["train"]), {"long_name": doc})
    if split["test"].any():
        ds = ds.merge(
            _out_of_sample(
                p, split, beta, f, fitted if own else None, fitted if not own else ahead, o
            )
        )
    if o["ntk"]:
        from .ntk_empirical import kernel_movement

        ds = ds.merge(kernel_movement(model, fit.model, p, split["train"]))
    ds["epochs"] = ((), fit.epochs)
    ds["best_epoch"] = ((), fit.best_epoch)
    return ds
