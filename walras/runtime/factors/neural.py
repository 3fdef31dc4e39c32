"""Neural instrumented factor models: NeurIF and the conditional autoencoder.

Both predict r_{t,i} = β(x_{t,i}, ·)'f_t from lagged characteristics x and factors f_t built from
the characteristic-managed portfolios z_t = Σ_i m_ti x_ti r_ti / Σ_i m_ti (m the mask).

- `attention` (NeurIF, "Feature-controlled learning of dynamic asset-pricing factors and
  loadings"): a channel gate x ⊙ σ(Ax), then `layers` blocks of multi-head attention over
  the assets of the period (missing assets masked out) and an MLP, each residual; factors are z_t
  embedded, plus a gated (zero-initialised) residual of causal attention over time with sinusoidal
  positions (`temporal_attention`).
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


class Attention(eqx.Module):
    q: eqx.nn.Linear
    k: eqx.nn.Linear
    v: eqx.nn.Linear
    o: eqx.nn.Linear
    heads: int = eqx.field(static=True)

    def __init__(self, width, heads, key):
        ks = jax.random.split(key, 4)
        self.q, self.k, self.v, self.o = (eqx.nn.Linear(width, width, key=k) for k in ks)
        self.heads = heads

    def __call__(self, x, allowed):
        """x (S, width); allowed (S, S) bool: which keys each query sees."""
        split = lambda y: y.reshape(y.shape[0], self.heads, -1)
        q, k, v = (split(jax.vmap(f)(x)) for f in (self.q, self.k, self.v))
        logits = jnp.einsum("shd,uhd->hsu", q, k) / jnp.sqrt(q.shape[-1])
        logits = jnp.where(allowed[None], logits, -1e30)
        out = jnp.einsum("hsu,uhd->shd", jax.nn.softmax(logits, axis=-1), v)
        return jax.vmap(self.o)(out.reshape(x.shape[0], -1))


class Block(eqx.Module):
    attn: Attention
    gate: jnp.ndarray
    mlp: eqx.nn.MLP

    def __init__(self, width, heads, key):
        k1, k2 = jax.random.split(key)
        self.attn = Attention(width, heads, k1)
        self.gate = jnp.zeros(())  # attention over assets starts switched off (ReZero)
        self.mlp = eqx.nn.MLP(width, width, width, 1, activation=jax.nn.gelu, key=k2)

    def __call__(self, h, allowed):
        h = h + self.gate * self.attn(h, allowed)
        return h + jax.vmap(self.mlp)(h)


def positions(T, width):
    i = jnp.arange(width // 2)
    ang = jnp.arange(T)[:, None] / (10000.0 ** (2 * i / width))[None]
    return jnp.concatenate([jnp.sin(ang), jnp.cos(ang)], axis=1)


class NeurIF(eqx.Module):
    gate: eqx.nn.Linear
    embed: eqx.nn.Linear
    blocks: list
    head: eqx.nn.Linear
    f_in: eqx.nn.Linear
    f_time: Attention | None
    f_gate: jnp.ndarray
    f_out: eqx.nn.Linear

    def __init__(self, L, K, width, heads, layers, temporal, key):
        ks = jax.random.split(key, layers + 6)
        self.gate = eqx.nn.Linear(L, L, key=ks[0])
        self.embed = eqx.nn.Linear(L, width, key=ks[1])
        self.blocks = [Block(width, heads, k) for k in ks[2 : 2 + layers]]
        self.head = eqx.nn.Linear(width, K, key=ks[-4])
        self.f_in = eqx.nn.Linear(L, width, key=ks[-3])
        self.f_time = Attention(width, heads, ks[-2]) if temporal else None
        self.f_gate = jnp.zeros(())  # the temporal residual starts switched off (ReZero)
        self.f_out = eqx.nn.Linear(width, K, key=ks[-1])

    def loadings(self, x, m):
        """x (N, L) one period; m (N,) mask → (N, K)."""
        x = x * jax.nn.sigmoid(jax.vmap(self.gate)(x))
        h = jax.vmap(self.embed)(x)
        allowed = m[None, :] | jnp.eye(len(m), dtype=bool)
        for b in self.blocks:
            h = b(h, allowed)
        return jax.vmap(self.head)(h)

    def factors(self, z):
        """z (T, L) managed portfolios → (T, K); causal attention over time when asked."""
        h = jax.vmap(self.f_in)(z)
        if self.f_time is not None:
            T = h.shape[0]
            causal = jnp.tril(jnp.ones((T, T), dtype=bool))
            h = h + self.f_gate * self.f_time(h + positions(*h.shape), causal)
        return jax.vmap(self.f_out)(h)


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


def predict(model, x, r, m):
    """Loadings (T, N, K), factors (T, K) and fitted returns (T, N); masked cells zeroed first."""
    r = jnp.where(m, r, 0.0)
    x = jnp.where(m[..., None], x, 0.0)
    z = jnp.einsum("tnl,tn->tl", x, r) / jnp.maximum(m.sum(1), 1)[:, None]
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
def _step(params, state, static, x, r, m, tr, va, lr, weight_decay, orthogonality, instrument):
    """One Adam step on the training loss; returns the validation MSE after it."""
    opt = optax.adamw(lr, weight_decay=weight_decay)
    f = lambda p: loss(eqx.combine(p, static), x, r, m, tr, orthogonality, instrument)[0]
    updates, state = opt.update(jax.grad(f)(params), state, params)
    params = optax.apply_updates(params, updates)
    return params, state, loss(eqx.combine(params, static), x, r, m, va, 0.0, 0.0)[1]


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
) -> Trained:
    """Adam on the training periods; keep the parameters with the lowest validation MSE."""
    data = tuple(jnp.asarray(a) for a in (x, r, m, split["train"], split["valid"]))
    params, static = eqx.partition(model, eqx.is_inexact_array)
    state = optax.adamw(lr, weight_decay=weight_decay).init(params)
    best, best_loss, best_epoch, waited = params, np.inf, 0, 0
    use_valid = bool(np.any(split["valid"]))
    for epoch in range(1, epochs + 1):
        params, state, v = _step(
            params, state, static, *data, lr, weight_decay, orthogonality, instrument
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
    w = np.asarray(m) & periods[:, None]
    rr = np.where(w, r, 0.0)
    return float(1 - np.sum(np.where(w, rr - np.asarray(fit), 0.0) ** 2) / np.sum(rr**2))


def forecast(beta, f, observed) -> np.ndarray:
    """r̂_t = β_t'f̄_{<t}: the loadings (from characteristics known before t) times the mean of
    the factors of the earlier periods with data, so no return of period t enters r̂_t."""
    f = np.where(observed[:, None], np.asarray(f), 0.0)
    count = np.concatenate([[0], np.cumsum(observed)[:-1]])
    past = np.concatenate([np.zeros((1, f.shape[1])), np.cumsum(f, 0)[:-1]])
    mean = past / np.maximum(count, 1)[:, None]
    return np.einsum("tnk,tk->tn", np.asarray(beta), mean)


def build(spec, L: int, seed: int):
    o = spec.loadings.options
    key = jax.random.PRNGKey(seed)
    if spec.loadings.name == "attention":
        return NeurIF(
            L,
            spec.latent,
            o["width"],
            o["heads"],
            o["layers"],
            "temporal_attention" in spec.flags,
            key,
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
    doc = "total R² (training periods; factors from the period's own returns)"
    ds["r2_total"] = ((), r2(fitted, p.returns, p.mask, split["train"]), {"long_name": doc})
    if split["test"].any():
        doc = "out-of-sample total R² (test periods; factors from the period's own returns)"
        ds["r2_total_oos"] = ((), r2(fitted, p.returns, p.mask, split["test"]), {"long_name": doc})
        doc = "out-of-sample forecast R² (test periods; β_t'·mean of earlier factors)"
        ds["r2_pred_oos"] = ((), r2(ahead, p.returns, p.mask, split["test"]), {"long_name": doc})
    if o["ntk"]:
        from .ntk_empirical import kernel_movement

        ds = ds.merge(kernel_movement(model, fit.model, p, split["train"]))
    ds["epochs"] = ((), fit.epochs)
    ds["best_epoch"] = ((), fit.best_epoch)
    return ds
