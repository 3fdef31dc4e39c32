"""The neural solver: a network per unknown, Adam on sampled points, then a Levenberg-Marquardt
polish on the residual vector; a homotopy in a parameter; progress, checkpoints, resume, NaN
recovery and Ctrl-C.

A state whose range starts at 0 with no boundary condition there (where an equilibrium may
diverge like a power of the state) is sampled and fed to the networks in its logarithm down to
the cut `edge`, positive unknowns of it are exponentials of their networks, and at the cut each
unknown that enters to second order is a power law (as in the collocation solver)."""

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
from .collocation import EDGE, cuttable, homotopy_path, second_order
from .least_squares import levenberg_marquardt
from .networks import Coupled, Field, make_field
from .progress import Progress
from .results import Solution
from .sampling import Sampler

CHUNK = 50        # steps between host synchronisations (progress, NaN checks)
WARM_START = 20   # Levenberg-Marquardt iterations on the networks' offsets before Adam
# Where an equation is singular at a cut edge its residuals grow like a power of 1/state there:
# rows are scaled by state^SCALE_POWER. Unscaled, the rows near the edge swamp the rest; scaled
# by the state, the solution near the edge goes unresolved (0, 1/4, 1/2, 3/4, 1 measured on
# basak_cuoco: 3/4 gives the smallest error against the collocation reference).
SCALE_POWER = 0.75


def _couplings(compiled: Compiled, clamps) -> dict[str, tuple[str, ...]]:
    """For each unclamped unknown, the clamped unknowns of a subset of its states."""
    unknowns = compiled.model.unknowns
    return {u.name: tuple(c.name for c in unknowns if c.name in clamps and c.args
                          and set(c.args) <= set(u.args))
            for u in unknowns if u.name not in clamps}


def edges(compiled: Compiled, settings: Settings) -> dict[str, float]:
    """The states taken in their logarithm, and the lower edge each is cut at: those whose range
    starts at 0 with no boundary condition there and of which a positive unknown (> 0) depends,
    which may diverge there like a power of the state. (With an unknown that is regular at the
    edge, as in two_trees, the log coordinate and the scaled rows only cost accuracy.)"""
    edge, cut = settings.edge or EDGE, cuttable(compiled)
    powers = {a for u in compiled.model.unknowns if u.lo == 0 and u.hi is None for a in u.args}
    return {s.name: edge for s in compiled.model.states
            if s.name in cut and s.name in powers and edge < s.hi}


def init_fields(compiled: Compiled, settings: Settings, params: Mapping[str, float],
                key) -> dict[str, eqx.Module]:
    """The trainable networks, one per unknown."""
    m = compiled.model
    states = {s.name: s for s in m.states}
    cut = edges(compiled, settings)
    clamps = compiled.system.clamps(params)
    couplings = _couplings(compiled, clamps)
    by_name = {u.name: u for u in m.unknowns}
    fields = {}
    for u, k in zip(m.unknowns, jax.random.split(key, max(1, len(m.unknowns)))):
        lo = [cut.get(a, states[a].lo) for a in u.args]
        hi = [states[a].hi for a in u.args]
        for c in couplings.get(u.name, ()):
            floor, cap = clamps[c]
            lo.append(floor if floor is not None else (by_name[c].lo or 0.0))
            hi.append(cap if cap is not None else (by_name[c].hi or 1.0))
        fields[u.name] = make_field(k, lo, hi, (u.lo, u.hi), settings.width, settings.depth,
                                    settings.activation, clamp=clamps.get(u.name, (None, None)),
                                    log_axes=tuple(a in cut for a in u.args))
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
    """What the optimisers need, as functions of the fields and the parameters (so a homotopy
    reuses every compiled function): the loss on a random batch and the residual rows at given
    points, the rows of the power-law condition at cut edges among them."""

    def __init__(self, compiled: Compiled, settings: Settings):
        m = compiled.model
        self.compiled = compiled
        self.weights = dict(m.weights)
        cut = edges(compiled, settings)
        self.sampler = Sampler([cut.get(s.name, s.lo) for s in m.states],
                               [s.hi for s in m.states], settings.points, settings.sampling,
                               settings.margin, settings.seed,
                               log=tuple(s.name in cut for s in m.states))
        self.settings = settings
        self.args = {u.name: np.asarray([compiled.states.index(a) for a in u.args], int)
                     for u in m.unknowns}
        # (unknown, position among its states, state index): a power law at that state's cut
        second = second_order(compiled)
        self.edge_terms = [(u.name, k, compiled.states.index(a)) for u in m.unknowns
                           if u.name in second for k, a in enumerate(u.args) if a in cut]
        if self.edge_terms:
            face = self.sampler.fixed(max(1, settings.boundary_points) if len(m.states) > 1 else 1,
                                      settings.seed + 3)
            self.edge_points = {i: face.at[:, i].set(cut[compiled.states[i]])
                                for i in {i for _, _, i in self.edge_terms}}

    def batch(self, key):
        k1, k2 = jax.random.split(key)
        x = self.sampler.interior(k1)
        nb = self.settings.boundary_points
        xb = {b: self.sampler.interior(k, nb) for b, k in
              zip(self.compiled.boundaries, jax.random.split(k2, max(1, len(self.compiled.boundaries))))}
        return x, xb

    def loss(self, trainable, params, key):
        """The sum of squared rows on a random batch."""
        x, xb = self.batch(key)
        fields = compose(self.compiled, trainable)
        rows = [self.interior_rows(fields, params, x, x.shape[0]).ravel(), self.edge_rows(fields)]
        rows += [self.boundary_rows(fields, params, b, v, v.shape[0]) for b, v in xb.items()]
        return sum(jnp.sum(r ** 2) for r in rows)

    def residuals(self, fields, params, x) -> dict[str, jax.Array]:
        """Residuals by equation at the points x; with cut edges, scaled per point by the
        product of the states taken in their logarithm to the SCALE_POWER."""
        res = self.compiled.residuals(fields, params, x)
        if not self.sampler.any_log:
            return res
        scale = jnp.prod(jnp.where(self.sampler.log, x, 1.0), -1) ** SCALE_POWER
        return {k: scale * r for k, r in res.items()}

    def interior_rows(self, fields, params, x, n: int) -> jax.Array:
        """(points, equations) scaled residuals times √(w/n): the polish minimises their squares."""
        res = self.residuals(fields, params, x)
        return jnp.stack([jnp.sqrt(self.weights.get(k, 1.0) / n) * r for k, r in res.items()], -1)

    def boundary_rows(self, fields, params, name: str, x, n: int) -> jax.Array:
        r = self.compiled.boundary_residuals(fields, params, {name: x}, only=name)[name]
        return jnp.sqrt(self.weights.get(name, self.weights.get("boundary", 1.0)) / n) * r

    def edge_rows(self, fields) -> jax.Array:
        """At each cut edge, the second derivative in the log coordinate of each unknown's
        network output that enters to second order (of log u for a positive unknown), scaled
        by √(1/points): zero for a power law."""
        rows = [jnp.zeros(0)]
        for u, k, i in self.edge_terms:
            f, x = fields[u], self.edge_points[i][:, self.args[u]]

            def curvature(xu, f=f, k=k):
                g = lambda s: f.latent(xu.at[k].set(jnp.exp(s)))
                dg = lambda s: jax.jvp(g, (s,), (jnp.ones_like(s),))[1]
                s = jnp.log(xu[k])
                return jax.jvp(dg, (s,), (jnp.ones_like(s),))[1]
            rows.append(jax.vmap(curvature)(x) / np.sqrt(x.shape[0]))
        return jnp.concatenate(rows)

    def validation(self, fields, params, seed: int) -> dict[str, float]:
        """Mean squared (scaled) residual of each equation and boundary condition on fresh
        points."""
        x = self.sampler.fixed(4 * self.settings.points, seed + 7919)
        xb = {b: self.sampler.fixed(self.settings.boundary_points, seed + 104729)
              for b in self.compiled.boundaries}
        res = eqx.filter_jit(self.residuals)(fields, params, x)
        res.update(eqx.filter_jit(self.compiled.boundary_residuals)(fields, params, xb))
        return {k: float(jnp.mean(v ** 2)) for k, v in res.items()}


def _as_arrays(params: Mapping[str, float]) -> dict[str, jax.Array]:
    return {k: jnp.asarray(v, jnp.float64) for k, v in params.items()}


def solve(compiled: Compiled, settings: Settings, params: Mapping[str, float] | None = None, *,
          checkpoint_path: str | Path | None = None, resume: bool = False, quiet: bool = False,
          log: Callable[[str], None] = print) -> Solution:
    """Solve a compiled model with neural networks. See `walras.solve` for the public entry.

    With the setting `homotopy = "NAME=VALUE"`, Adam trains at that parameter value and the
    parameter then walks to its own value in `homotopy_steps` steps, the networks carried from
    step to step and polished at each (until the mean squared residual is below `tol`, at most
    `polish` iterations)."""
    params = dict(compiled.params if params is None else params)
    path = homotopy_path(settings, params)
    problem = _Problem(compiled, settings)
    key = jax.random.PRNGKey(settings.seed)
    key, init_key = jax.random.split(key)
    fields = init_fields(compiled, settings, path[0], init_key)
    start = _as_arrays(path[0])

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
    elif settings.steps and not problem.edge_terms:
        # a cheap start for Adam; not at a cut edge, where the best constants run off to u -> 0
        fields = _Polish(problem, fields, settings, only_offsets=True).run(
            fields, start, WARM_START)[0]

    @eqx.filter_jit
    def step(fields, opt_state, key, lr_scale, params):
        loss, grads = eqx.filter_value_and_grad(problem.loss)(fields, params, key)
        updates, opt_state = optimizer.update(eqx.filter(grads, eqx.is_array), opt_state,
                                              eqx.filter(fields, eqx.is_array))
        updates = jax.tree_util.tree_map(lambda u: u * lr_scale, updates)
        return eqx.apply_updates(fields, updates), opt_state, loss

    def save_checkpoint(at_step):
        if checkpoint_path:
            checkpoint.save(checkpoint_path, (fields, opt_state, key),
                            {**meta, "step": at_step, "history": [float(h) for h in history]})

    interrupted, lr_scale, message = False, 1.0, ""
    progress = Progress(settings.steps + settings.polish * len(path), quiet=quiet)
    progress.advance(step0, history[-1] if history else float("nan"))
    good = (fields, opt_state, step0)
    s = step0
    try:
        while s < settings.steps:
            n = min(CHUNK, settings.steps - s)
            chunk = []
            for _ in range(n):
                key, sub = jax.random.split(key)
                fields, opt_state, loss = step(fields, opt_state, sub, lr_scale, start)
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
        polish = _Polish(problem, fields, settings)
        for k, stage in enumerate(path):
            last = k == len(path) - 1
            fields, polish_history, interrupted = polish.run(
                fields, _as_arrays(stage), settings.polish, progress,
                target=None if last else settings.tol)
            history.extend(polish_history)
            if interrupted:
                message = "interrupted during the polish"
                break
        save_checkpoint(s)
    progress.close()

    fields = compose(compiled, fields)
    validation = problem.validation(fields, _as_arrays(params), settings.seed)
    total = sum(validation.values())
    converged = bool(np.isfinite(total) and total <= settings.tol and not interrupted)
    if not message:
        message = "converged" if converged else (
            f"did not reach the tolerance: mean squared residual {total:.3g} > tol {settings.tol:g}")
    return Solution(compiled, fields, params, settings, np.asarray(history, float), converged,
                    validation, message)


class _Polish:
    """Levenberg-Marquardt on the residual vector at fixed Sobol points, over every weight or
    only the offsets (the constant part of each network: a cheap start for Adam). Its residual
    and Jacobian take the parameters as an argument, so each homotopy step reuses them compiled."""

    def __init__(self, problem: _Problem, fields, settings: Settings, only_offsets: bool = False):
        x = problem.sampler.fixed(settings.polish_points, settings.seed + 1)
        nb = max(1, settings.boundary_points)
        xb = {b: problem.sampler.fixed(nb, settings.seed + 2) for b in problem.compiled.boundaries}
        spec = jax.tree_util.tree_map(lambda leaf: eqx.is_array(leaf) and not only_offsets, fields)
        if only_offsets:
            spec = {k: eqx.tree_at(lambda f: f.offset, spec[k], True) for k in fields}
        self.spec = spec
        arrays, self.static = eqx.partition(fields, spec)
        _, self.unravel = ravel_pytree(arrays)
        n = x.shape[0]
        as_fields = lambda theta: compose(problem.compiled,
                                          eqx.combine(self.unravel(theta), self.static))

        def residual(theta, params):
            f = as_fields(theta)
            return jnp.concatenate([problem.interior_rows(f, params, x, n).ravel()] +
                                   [problem.boundary_rows(f, params, b, xb[b], nb) for b in xb] +
                                   [problem.edge_rows(f)])

        def jacobian(theta, params):
            """A point's residuals depend on that point alone: one reverse pass per point and
            equation instead of one per row of the whole vector."""
            def rows_at(fn):
                return jax.vmap(lambda xi: jax.jacrev(lambda t: fn(as_fields(t), xi[None]))(theta))
            blocks = [rows_at(lambda f, xi: problem.interior_rows(f, params, xi, n)[0])(x)
                      .reshape(-1, theta.size)]
            for b in xb:
                blocks.append(rows_at(lambda f, xi, b=b: problem.boundary_rows(f, params, b, xi, nb)[0])(xb[b]))
            if problem.edge_terms:
                blocks.append(jax.jacrev(lambda t: problem.edge_rows(as_fields(t)))(theta))
            return jnp.concatenate(blocks)

        self.residual, self.jacobian = residual, jacobian

    def run(self, fields, params, iterations: int, progress: Progress | None = None,
            target: float | None = None):
        """`iterations` steps from `fields` at `params` (fewer once the sum of squared rows is
        below `target`): the new fields, the history of that sum, whether Ctrl-C stopped it."""
        arrays, _ = eqx.partition(fields, self.spec)
        theta0, _ = ravel_pytree(arrays)
        history = []

        def callback(it, cost):
            history.append(2 * cost)
            if progress is not None:
                progress.advance(1, 2 * cost)

        try:
            result = levenberg_marquardt(
                self.residual, theta0, jacobian=self.jacobian, args=(params,),
                iterations=iterations, callback=callback,
                should_stop=lambda: target is not None and bool(history) and history[-1] <= target)
            theta, interrupted = result.theta, False
        except KeyboardInterrupt:
            theta, interrupted = theta0, True
        if progress is not None:
            progress.advance(iterations - len(history), history[-1] if history else float("nan"))
        return eqx.combine(self.unravel(theta), eqx.partition(fields, self.spec)[1]), history, \
            interrupted
