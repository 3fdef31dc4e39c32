"""The neural solver: a network per unknown, Adam on sampled points, then a Levenberg-Marquardt
polish on the residual vector; progress, checkpoints, resume, NaN recovery and Ctrl-C."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Callable, Mapping

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import optax
from jax.flatten_util import ravel_pytree

from ..compiler.codegen import Compiled
from ..grammar.diagnostics import Diagnostic, EconError
from ..settings import Settings
from . import checkpoint
from .least_squares import levenberg_marquardt
from .networks import Coupled, Field, make_field
from .progress import Progress
from .results import Solution
from .sampling import Sampler

CHUNK = 50        # steps between host synchronisations (progress, NaN checks)
WARM_START = 20   # Levenberg-Marquardt iterations on the networks' offsets before Adam


def _couplings(compiled: Compiled, clamps) -> dict[str, tuple[str, ...]]:
    """For each unclamped unknown, the clamped unknowns of a subset of its states."""
    unknowns = compiled.model.unknowns
    return {u.name: tuple(c.name for c in unknowns if c.name in clamps and c.args
                          and set(c.args) <= set(u.args))
            for u in unknowns if u.name not in clamps}


def init_fields(compiled: Compiled, settings: Settings, params: Mapping[str, float],
                key) -> dict[str, eqx.Module]:
    """The trainable networks, one per unknown."""
    m = compiled.model
    states = {s.name: s for s in m.states}
    clamps = compiled.system.clamps(params)
    couplings = _couplings(compiled, clamps)
    by_name = {u.name: u for u in m.unknowns}
    fields = {}
    for u, k in zip(m.unknowns, jax.random.split(key, max(1, len(m.unknowns)))):
        lo = [states[a].lo for a in u.args]
        hi = [states[a].hi for a in u.args]
        for c in couplings.get(u.name, ()):
            floor, cap = clamps[c]
            lo.append(floor if floor is not None else (by_name[c].lo or 0.0))
            hi.append(cap if cap is not None else (by_name[c].hi or 1.0))
        fields[u.name] = make_field(k, lo, hi, (u.lo, u.hi), settings.width, settings.depth,
                                    settings.activation, clamp=clamps.get(u.name, (None, None)))
    return fields


def compose(compiled: Compiled, trainable: Mapping) -> dict[str, eqx.Module]:
    """The functions the residuals see: trainable fields, coupled to clamped ones."""
    couplings = _couplings(compiled, {k for k, f in trainable.items()
                                      if isinstance(f, Field) and f.clamped})
    args = {u.name: u.args for u in compiled.model.unknowns}
    out = dict(trainable)
    for name, inputs in couplings.items():
        if inputs:
            picks = tuple(tuple(args[name].index(a) for a in args[c]) for c in inputs)
            out[name] = Coupled(trainable[name], tuple(trainable[c] for c in inputs), picks)
    return out


class _Problem:
    """What the optimisers need: the loss on a random batch and the residual vector on fixed points."""

    def __init__(self, compiled: Compiled, settings: Settings, params: Mapping[str, float]):
        m = compiled.model
        self.compiled = compiled
        self.params = {k: jnp.asarray(v, jnp.float64) for k, v in params.items()}
        self.weights = dict(m.weights)
        self.sampler = Sampler([s.lo for s in m.states], [s.hi for s in m.states], settings.points,
                               settings.sampling, settings.margin, settings.seed)
        self.settings = settings

    def batch(self, key):
        k1, k2 = jax.random.split(key)
        x = self.sampler.interior(k1)
        nb = self.settings.boundary_points
        xb = {b: self.sampler.interior(k, nb) for b, k in
              zip(self.compiled.boundaries, jax.random.split(k2, max(1, len(self.compiled.boundaries))))}
        return x, xb

    def loss(self, trainable, key):
        x, xb = self.batch(key)
        return self.compiled.loss(compose(self.compiled, trainable), self.params, x, xb,
                                  self.weights)

    def interior_rows(self, fields, x, n: int) -> jax.Array:
        """(points, equations) residuals scaled by √(w/n): the polish minimises their squares."""
        res = self.compiled.residuals(fields, self.params, x)
        return jnp.stack([jnp.sqrt(self.weights.get(k, 1.0) / n) * r for k, r in res.items()], -1)

    def boundary_rows(self, fields, name: str, x, n: int) -> jax.Array:
        r = self.compiled.boundary_residuals(fields, self.params, {name: x}, only=name)[name]
        return jnp.sqrt(self.weights.get(name, self.weights.get("boundary", 1.0)) / n) * r

    def validation(self, fields, seed: int) -> dict[str, float]:
        """Mean squared residual of each equation on fresh points."""
        x = self.sampler.fixed(4 * self.settings.points, seed + 7919)
        xb = {b: self.sampler.fixed(self.settings.boundary_points, seed + 104729)
              for b in self.compiled.boundaries}
        res = eqx.filter_jit(self.compiled.residuals)(fields, self.params, x)
        res.update(eqx.filter_jit(self.compiled.boundary_residuals)(fields, self.params, xb))
        return {k: float(jnp.mean(v ** 2)) for k, v in res.items()}


def solve(compiled: Compiled, settings: Settings, params: Mapping[str, float] | None = None, *,
          checkpoint_path: str | Path | None = None, resume: bool = False, quiet: bool = False,
          log: Callable[[str], None] = print) -> Solution:
    """Solve a compiled model with neural networks. See `walras.solve` for the public entry."""
    params = dict(compiled.params if params is None else params)
    problem = _Problem(compiled, settings, params)
    key = jax.random.PRNGKey(settings.seed)
    key, init_key = jax.random.split(key)
    fields = init_fields(compiled, settings, params, init_key)

    schedule = optax.cosine_decay_schedule(settings.lr, max(settings.steps, 1),
                                           alpha=settings.lr_final / settings.lr)
    optimizer = optax.adam(schedule)
    params_, static = eqx.partition(fields, eqx.is_array)
    opt_state = optimizer.init(params_)
    step0, history = 0, []
    meta = {"model": compiled.model.name, "settings": dataclasses.asdict(settings), "params": params}

    if resume and checkpoint_path and Path(checkpoint_path).exists():
        try:
            (fields, opt_state, key), saved = checkpoint.load(checkpoint_path, (fields, opt_state, key))
        except ValueError as err:
            raise EconError([Diagnostic("E134", f"cannot resume from {checkpoint_path}: {err}", None,
                                        "resume with the settings of the interrupted run, or "
                                        "start afresh without --resume")]) from None
        step0, history = saved["step"], saved["history"]
        log(f"resuming from {checkpoint_path} at step {step0}")
    else:
        fields = _least_squares(problem, fields, settings, WARM_START, only_offsets=True)[0]

    @eqx.filter_jit
    def step(fields, opt_state, key, lr_scale):
        loss, grads = eqx.filter_value_and_grad(problem.loss)(fields, key)
        updates, opt_state = optimizer.update(eqx.filter(grads, eqx.is_array), opt_state,
                                              eqx.filter(fields, eqx.is_array))
        updates = jax.tree_util.tree_map(lambda u: u * lr_scale, updates)
        return eqx.apply_updates(fields, updates), opt_state, loss

    def save_checkpoint(at_step):
        if checkpoint_path:
            checkpoint.save(checkpoint_path, (fields, opt_state, key),
                            {**meta, "step": at_step, "history": [float(h) for h in history]})

    interrupted, lr_scale, message = False, 1.0, ""
    progress = Progress(settings.steps + settings.polish, quiet=quiet)
    progress.advance(step0, history[-1] if history else float("nan"))
    good = (fields, opt_state, step0)
    s = step0
    try:
        while s < settings.steps:
            n = min(CHUNK, settings.steps - s)
            chunk = []
            for _ in range(n):
                key, sub = jax.random.split(key)
                fields, opt_state, loss = step(fields, opt_state, sub, lr_scale)
                chunk.append(loss)
            chunk = np.asarray(jax.device_get(chunk))
            if not np.all(np.isfinite(chunk)):
                bad = s + int(np.argmin(np.isfinite(chunk)))
                fields, opt_state, s = good
                lr_scale *= 0.5
                log(f"warning: the loss became NaN at step {bad}; restored the state of step {s} "
                    f"and halved the learning rate")
                if lr_scale < 1e-4:
                    message = f"the loss keeps turning NaN near step {s}; stopped there"
                    break
                continue
            history.extend(chunk.tolist())
            s += n
            good = (fields, opt_state, s)
            progress.advance(n, float(chunk[-1]))
            if checkpoint_path and settings.checkpoint_every and s % settings.checkpoint_every < n:
                save_checkpoint(s)
    except KeyboardInterrupt:
        interrupted = True
        fields, opt_state, s = good
        message = f"interrupted at step {s}"
    save_checkpoint(s)

    if not interrupted and settings.polish > 0:
        fields, polish_history, interrupted = _least_squares(problem, fields, settings,
                                                             settings.polish, progress=progress)
        history.extend(polish_history)
        if interrupted:
            message = "interrupted during the polish"
        save_checkpoint(s)
    progress.close()

    fields = compose(compiled, fields)
    validation = problem.validation(fields, settings.seed)
    total = sum(validation.values())
    converged = bool(np.isfinite(total) and total <= settings.tol and not interrupted)
    if not message:
        message = "converged" if converged else (
            f"did not reach the tolerance: mean squared residual {total:.3g} > tol {settings.tol:g}")
    return Solution(compiled, fields, params, settings, np.asarray(history, float), converged,
                    validation, message)


def _least_squares(problem: _Problem, fields, settings: Settings, iterations: int,
                   only_offsets: bool = False, progress: Progress | None = None):
    """Levenberg-Marquardt on the residual vector at fixed Sobol points, over every weight or
    only the offsets (the constant part of each network: a cheap start for Adam)."""
    x = problem.sampler.fixed(settings.polish_points, settings.seed + 1)
    nb = max(1, settings.boundary_points)
    xb = {b: problem.sampler.fixed(nb, settings.seed + 2) for b in problem.compiled.boundaries}
    spec = jax.tree_util.tree_map(lambda leaf: eqx.is_array(leaf) and not only_offsets, fields)
    if only_offsets:
        spec = {k: eqx.tree_at(lambda f: f.offset, spec[k], True) for k in fields}
    arrays, static = eqx.partition(fields, spec)
    theta0, unravel = ravel_pytree(arrays)
    n = x.shape[0]
    as_fields = lambda theta: compose(problem.compiled, eqx.combine(unravel(theta), static))

    def residual(theta):
        f = as_fields(theta)
        return jnp.concatenate([problem.interior_rows(f, x, n).ravel()] +
                               [problem.boundary_rows(f, b, xb[b], nb) for b in xb])

    def jacobian(theta):
        """A point's residuals depend on that point alone: one reverse pass per point and
        equation instead of one per row of the whole vector."""
        def rows_at(fn):
            return jax.vmap(lambda xi: jax.jacrev(lambda t: fn(as_fields(t), xi[None]))(theta))
        blocks = [rows_at(lambda f, xi: problem.interior_rows(f, xi, n)[0])(x).reshape(-1, theta.size)]
        for b in xb:
            blocks.append(rows_at(lambda f, xi, b=b: problem.boundary_rows(f, b, xi, nb)[0])(xb[b]))
        return jnp.concatenate(blocks)

    history = []

    def callback(it, cost):
        history.append(2 * cost)
        if progress is not None:
            progress.advance(1, 2 * cost)

    try:
        result = levenberg_marquardt(residual, theta0, jacobian=jacobian, iterations=iterations,
                                     callback=callback)
        theta, interrupted = result.theta, False
    except KeyboardInterrupt:
        theta, interrupted = theta0, True
    if progress is not None:
        progress.advance(iterations - len(history), history[-1] if history else float("nan"))
    return eqx.combine(unravel(theta), static), history, interrupted
