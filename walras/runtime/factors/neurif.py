"""NeurIF (Neural Instrumented Factorization, "Feature-controlled learning of dynamic asset-pricing
factors and loadings"), each component switchable for ablations.

Loadings of a period's assets, x (N, L) → (N, K): channel attention, a gate x ⊙ σ(conv(x)) with a
1-D convolution over the features (`channel`); an embedding; `layers` blocks of multi-head spatial
attention over the period's assets (missing ones masked; `spatial`), whose input re-injects
sinusoidal encodings of the entity's position in the panel (its sorted id, e.g. PERMNO;
`positions`), and MLPs, each residual, the attention gated from zero (ReZero).

Factors, z (T, L) managed portfolios → (T, K): a learned global factor embedding F_init and the
embedded z_t, refined by causal temporal attention over periods with sinusoidal positions
(`temporal`). With `forecast`, period t's factor token is built from z_{t−1} (F_init for the
first), so f_t, and r̂_t = β_t'f_t, use no information of period t: a true forecast.
"""

from __future__ import annotations

import equinox as eqx
import jax
import jax.numpy as jnp


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
    attn: Attention | None
    gate: jnp.ndarray
    mlp: eqx.nn.MLP

    def __init__(self, width, heads, spatial, key):
        k1, k2 = jax.random.split(key)
        self.attn = Attention(width, heads, k1) if spatial else None
        self.gate = jnp.zeros(())  # attention over assets starts switched off (ReZero)
        self.mlp = eqx.nn.MLP(width, width, width, 1, activation=jax.nn.gelu, key=k2)

    def __call__(self, h, allowed, pos):
        if self.attn is not None:
            h = h + self.gate * self.attn(h + pos, allowed)
        return h + jax.vmap(self.mlp)(h)


def positions(n, width):
    """Sinusoidal encodings of positions 0 … n − 1, (n, width)."""
    i = jnp.arange(width // 2)
    ang = jnp.arange(n)[:, None] / (10000.0 ** (2 * i / width))[None]
    return jnp.concatenate([jnp.sin(ang), jnp.cos(ang)], axis=1)


class NeurIF(eqx.Module):
    channel: eqx.nn.Conv1d | None
    embed: eqx.nn.Linear
    blocks: list
    head: eqx.nn.Linear
    f_init: jnp.ndarray
    f_in: eqx.nn.Linear
    f_time: Attention | None
    f_gate: jnp.ndarray
    f_out: eqx.nn.Linear
    entity_positions: bool = eqx.field(static=True)
    forecast: bool = eqx.field(static=True)

    def __init__(self, L, K, width, heads, layers, temporal, key, **switches):
        on = {"channel": True, "spatial": True, "positions": True, "forecast": False} | switches
        ks = jax.random.split(key, layers + 7)
        self.channel = (
            eqx.nn.Conv1d(1, 1, kernel_size=3, padding=1, key=ks[0]) if on["channel"] else None
        )
        self.embed = eqx.nn.Linear(L, width, key=ks[1])
        self.blocks = [Block(width, heads, on["spatial"], k) for k in ks[2 : 2 + layers]]
        self.head = eqx.nn.Linear(width, K, key=ks[-5])
        self.f_init = 0.1 * jax.random.normal(ks[-4], (width,))
        self.f_in = eqx.nn.Linear(L, width, key=ks[-3])
        self.f_time = Attention(width, heads, ks[-2]) if temporal else None
        self.f_gate = jnp.zeros(())  # the temporal residual starts switched off (ReZero)
        self.f_out = eqx.nn.Linear(width, K, key=ks[-1])
        self.entity_positions = on["positions"]
        self.forecast = on["forecast"]

    def loadings(self, x, m):
        """x (N, L) one period, assets in the panel's order; m (N,) mask → (N, K)."""
        if self.channel is not None:
            x = x * jax.nn.sigmoid(jax.vmap(lambda v: self.channel(v[None])[0])(x))
        h = jax.vmap(self.embed)(x)
        pos = positions(*h.shape) if self.entity_positions else jnp.zeros_like(h)
        allowed = m[None, :] | jnp.eye(len(m), dtype=bool)
        for b in self.blocks:
            h = b(h, allowed, pos)
        return jax.vmap(self.head)(h)

    def factors(self, z):
        """z (T, L) managed portfolios → (T, K)."""
        h = jax.vmap(self.f_in)(z)
        if self.forecast:  # period t sees z up to t − 1
            h = jnp.concatenate([jnp.zeros_like(h[:1]), h[:-1]])
        h = h + self.f_init
        if self.f_time is not None:
            T = h.shape[0]
            causal = jnp.tril(jnp.ones((T, T), dtype=bool))
            h = h + self.f_gate * self.f_time(h + positions(*h.shape), causal)
        return jax.vmap(self.f_out)(h)
