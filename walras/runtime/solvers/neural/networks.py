"""Neural approximators of unknown functions: an MLP on states scaled to [-1, 1] (some of them in
a log coordinate; on a simplex, with the implicit last share as one more input), with an output
transform that enforces the unknown's declared bounds; from a guess, the MLP is a correction to
it, zero at the start."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np

from ... import store

ACTIVATIONS = {
    "tanh": jnp.tanh,
    "silu": jax.nn.silu,
    "gelu": jax.nn.gelu,
    "softplus": jax.nn.softplus,
}


SOFTNESS = 1e-3  # width of the smooth corner of a bound transform
TINY = 1e-300  # floor of a state taken in its log coordinate (0 would give -inf)


def exponential(log_axes, lo: float | None, hi: float | None) -> bool:
    """Whether an unknown's output transform is exp (positive, of a state in its logarithm: a
    power law is then a straight line) rather than the bounds' soft clamp (`bounded`)."""
    return any(log_axes) and lo == 0 and hi is None


def bounded(z, lo: float | None, hi: float | None):
    """A soft clamp of a raw output to [lo, hi]: the identity a few SOFTNESS inside the bounds,
    so a function that approaches its bound (a share that vanishes at the edge of the domain)
    stays as easy to represent as it is without one."""
    s = SOFTNESS
    if lo is not None:
        z = lo + s * jax.nn.softplus((z - lo) / s)
    if hi is not None:
        z = hi - s * jax.nn.softplus((hi - z) / s)
    return z


class Field(eqx.Module):
    """u(x) = out(latent(x)), latent(x) = mlp((y − center)/half_width) + offset (from a guess:
    anchor(x) + scale × that, the guess's latent and its size), where y is x with the
    `log_axes` states in their logarithm and `out` is exp (`positive`: a power law of a log
    state is then a straight line) or the bound transform. Clamped to [floor, cap] when u is
    the variable of a complementarity: the kink where the bound starts to bind is then exact
    while the network itself stays smooth. Not an obstacle problem's unknown (`fields`), whose
    solution has no kink there: a clamp would admit kinks that no sampled point sees."""

    mlp: eqx.nn.MLP | None
    offset: jax.Array
    center: tuple[float, ...] = eqx.field(static=True)
    half_width: tuple[float, ...] = eqx.field(static=True)
    lo: float | None = eqx.field(static=True)
    hi: float | None = eqx.field(static=True)
    floor: float | None = eqx.field(static=True, default=None)
    cap: float | None = eqx.field(static=True, default=None)
    log_axes: tuple[bool, ...] = eqx.field(static=True, default=())
    positive: bool = eqx.field(static=True, default=False)
    simplices: tuple[tuple[int, ...], ...] = eqx.field(static=True, default=())
    anchor: Anchor | None = eqx.field(static=True, default=None)

    def latent(self, x: jax.Array) -> jax.Array:
        """The network's output, before the output transform."""
        z = self.offset
        if self.mlp is not None:
            z = z + self.mlp(scaled_inputs(self, x))[0]
        if self.anchor is not None:
            z = self.anchor.scale * z + self.anchor(x)
        return z

    def raw(self, x: jax.Array) -> jax.Array:
        """The value before the clamp."""
        return output(self, self.latent(x))

    @property
    def clamped(self) -> bool:
        return self.cap is not None or self.floor is not None

    def __call__(self, x: jax.Array) -> jax.Array:
        u = self.raw(x)
        if self.cap is not None:
            u = jnp.minimum(u, self.cap)
        if self.floor is not None:
            u = jnp.maximum(u, self.floor)
        return u


def scaled_inputs(net, x: jax.Array) -> jax.Array:
    """x as a network sees it: each simplex's implicit last share (1 − Σ others) appended, the
    `log_axes` in their logarithm, all scaled to [-1, 1] by the network's center and half width."""
    if net.simplices:
        last = [1 - x[jnp.asarray(g)].sum() for g in net.simplices]
        x = jnp.concatenate([x, jnp.stack(last)])
    if any(net.log_axes):
        # the logarithm of 1 on the other axes: there a state may be 0 or negative, where the
        # logarithm's unused derivatives are infinite and, through the where, turn the reverse
        # pass of second derivatives NaN (di_tella's state log x: every gradient, at every point)
        flags = jnp.asarray(net.log_axes)
        x = jnp.where(flags, jnp.log(jnp.maximum(jnp.where(flags, x, 1.0), TINY)), x)
    return (x - jnp.asarray(net.center)) / jnp.asarray(net.half_width)


def output(net, z: jax.Array) -> jax.Array:
    """The output transform of a latent value: exp for a positive unknown, else the bounds."""
    return jnp.exp(z) if net.positive else bounded(z, net.lo, net.hi)


def scaling(lo_x, hi_x, log_axes, simplices) -> tuple[tuple[bool, ...], tuple, tuple]:
    """The inputs' log flags, centers and half widths, each simplex's last share appended (in
    its logarithm when the simplex's states are, on the simplex's range)."""
    flags = tuple(log_axes) + (False,) * (len(lo_x) - len(log_axes))
    for g in simplices:
        flags += (any(flags[i] for i in g),)
        lo_x, hi_x = [*lo_x, min(lo_x[i] for i in g)], [*hi_x, max(hi_x[i] for i in g)]
    a_x = [float(np.log(a)) if f else a for a, f in zip(lo_x, flags)]
    b_x = [float(np.log(b)) if f else b for b, f in zip(hi_x, flags)]
    center = tuple((a + b) / 2 for a, b in zip(a_x, b_x))
    half = tuple((b - a) / 2 for a, b in zip(a_x, b_x))
    return flags, center, half


def make_field(
    key,
    lo_x,
    hi_x,
    bound: tuple,
    width: int,
    depth: int,
    activation: str,
    clamp: tuple = (None, None),
    log_axes: tuple[bool, ...] = (),
    simplices: tuple[tuple[int, ...], ...] = (),
    start: Callable | None = None,
    own: int = 0,
) -> Field:
    """A network for an unknown of len(lo_x) inputs (a constant when there are none); the inputs
    flagged in `log_axes` (their lo_x > 0) enter as logarithms, and a positive unknown (bounds
    (0, None)) of such a state is the exponential of its network. Each group of `simplices`
    (positions of states on a simplex) adds the implicit last share as an input, in its
    logarithm when the group's states are, on the group's range. With `start` (a function of a
    point of the `own` first inputs, the unknown's states: the guess), the network is a
    correction to it, zero at first."""
    lo, hi = bound
    flags, center, half = scaling(lo_x, hi_x, log_axes, simplices)
    positive = exponential(flags, lo, hi)
    floor = max((b for b in (lo, clamp[0]) if b is not None), default=None)
    cap = min((b for b in (hi, clamp[1]) if b is not None), default=None)
    last, offset = quiet_start(positive, inside(floor, cap)) if start is None else zero_start()
    mlp = None
    if len(lo_x):
        mlp = initial_mlp(key, len(center), 1, width, depth, activation, last)
    return Field(
        mlp,
        offset,
        center,
        half,
        lo,
        hi,
        *clamp,
        log_axes=flags,
        positive=positive,
        simplices=tuple(tuple(g) for g in simplices),
        anchor=None if start is None else anchor(start, lo_x[:own], hi_x[:own], positive, lo, hi),
    )


FLOOR = 1e-12  # a positive unknown starts there where its guess is not positive
MARGIN = 10 * SOFTNESS  # a bounded unknown's guess is held this far inside its bounds


@dataclass(frozen=True)
class Anchor:
    """The latent value whose output is a guess, start(x[:own]) (`value` where `start` is
    None): its logarithm for a positive unknown, else held inside the bounds (where the bound
    transform is the identity); `scale` sizes the network's correction to it. A network's static
    field: its repr names it (with a `start` that names itself, a warm run finds the functions
    that hold it exported, `runtime.cache`)."""

    start: Callable | None
    own: int
    positive: bool
    lo: float | None
    hi: float | None
    value: float = 1.0
    scale: float = 1.0

    def __call__(self, x: jax.Array) -> jax.Array:
        if self.start is None:
            value = jnp.asarray(self.value, x.dtype)
        else:
            value = self.start(x[: self.own])
        lo, hi = self.lo, self.hi
        if self.positive:
            return jnp.log(jnp.maximum(value, FLOOR))
        if lo is not None and hi is not None:
            margin = min(MARGIN, (hi - lo) / 4)
            return jnp.clip(value, lo + margin, hi - margin)
        if lo is not None:
            return jnp.maximum(value, lo + MARGIN)
        if hi is not None:
            return jnp.minimum(value, hi - MARGIN)
        return value


SIZE_POINTS = 64  # where a guess's size is measured


def anchor(start: Callable | None, lo_x, hi_x, positive: bool, lo, hi, value: float = 1.0):
    """The anchor of a guess on the box [lo_x, hi_x], its correction sized like the guess (its
    root mean square at uniform points; 1 for a positive unknown, corrected in its logarithm):
    a correction of order one where the guess is of order 1e3 would take Adam thousands of
    steps (huggett's value function, γ = 3: error 1.3 unsized, 2.9e-3 sized)."""
    scale = 1.0
    if start is not None and not positive and len(lo_x):
        x = np.random.default_rng(0).uniform(lo_x, hi_x, (SIZE_POINTS, len(lo_x)))
        size = np.sqrt(np.mean(np.asarray(jax.vmap(start)(jnp.asarray(x))) ** 2))
        scale = float(size) if np.isfinite(size) and size > 0 else 1.0
    return Anchor(start, len(lo_x), positive, lo, hi, value, scale)


def inside(lo: float | None, hi: float | None) -> float:
    """A starting value strictly inside (lo, hi)."""
    if lo is not None and hi is not None:
        return (lo + hi) / 2
    if lo is not None:
        return lo + 1.0
    if hi is not None:
        return hi - 1.0
    return 1.0


@partial(jax.jit, static_argnums=1)
def split(key, n: int = 2) -> tuple[jax.Array, ...]:
    """n keys from `key` (or from a seed, an int), as a tuple, in one compiled program: eager,
    the split and the taking of each key from its array are programs of their own, each lowered
    and looked up in the compilation cache apiece (hundredths of a second on a warm start)."""
    key = jax.random.PRNGKey(key) if key.ndim == 0 else key
    return tuple(jax.random.split(key, n))


def initial_mlp(key, inputs: int, outputs: int, width: int, depth: int, activation: str, last):
    """equinox's MLP at its initial weights, its last layer's weight times `last`, or with
    `last=None` its weight and bias zero. The weights are kept in the cache folder under the
    key's bytes and the shapes, so a warm run neither traces nor compiles the initialisation
    (with each random draw's hash inlined, 0.2 s a network on a warm start)."""
    args = (inputs, outputs, width, depth, activation, last)
    shapes, static = eqx.partition(
        eqx.filter_eval_shape(_initial_mlp, key, *args),
        lambda v: isinstance(v, jax.ShapeDtypeStruct),
    )
    weights = store.kept(
        "weights",
        f"{np.asarray(key).tobytes().hex()} {args}",
        lambda: [
            np.asarray(v)
            for v in jax.tree.leaves(eqx.filter(_initial_mlp(key, *args), eqx.is_array))
        ],
    )
    return eqx.combine(jax.tree.unflatten(jax.tree.structure(shapes), weights), static)


@eqx.filter_jit
def _initial_mlp(key, inputs, outputs, width, depth, activation, last):
    mlp = eqx.nn.MLP(
        inputs, outputs, width, depth, ACTIVATIONS[activation], key=key, dtype=jnp.float64
    )
    layer = mlp.layers[-1]
    if last is None:
        return eqx.tree_at(
            lambda m: (m.layers[-1].weight, m.layers[-1].bias),
            mlp,
            (jnp.zeros_like(layer.weight), jnp.zeros_like(layer.bias)),
        )
    return eqx.tree_at(lambda m: m.layers[-1].weight, mlp, layer.weight * last)


def quiet_start(positive: bool, start: float) -> tuple[float, np.ndarray]:
    """The last layer's scale (zero for a positive unknown, the exponential of its network; a
    tenth otherwise) and the offset that starts the unknown at `start`."""
    return (0.0 if positive else 0.1), np.asarray(np.log(start) if positive else start, np.float64)


def zero_start() -> tuple[None, np.ndarray]:
    """The last layer zero (`initial_mlp`'s `last=None`) and no offset: nothing added to a
    guess."""
    return None, np.asarray(0.0)


class Coupled(eqx.Module):
    """u(x) = base(x, c_1(x), ..., c_m(x)) where the c_j are clamped unknowns: u may then have a
    kink exactly where a complementarity starts to bind, which a smooth network cannot place."""

    base: Field
    inputs: tuple[Field, ...]
    picks: tuple[tuple[int, ...], ...] = eqx.field(static=True)

    def __call__(self, x: jax.Array) -> jax.Array:
        return self.base(self._inputs(x))

    def latent(self, x: jax.Array) -> jax.Array:
        return self.base.latent(self._inputs(x))

    def _inputs(self, x: jax.Array) -> jax.Array:
        extra = [f(x[jnp.asarray(p, dtype=int)]) for f, p in zip(self.inputs, self.picks)]
        return jnp.concatenate([x, jnp.stack(extra)])
