"""The neural solve in its phases: the networks and a warm start (a guess, or a resumed
checkpoint), Adam with NaN rollback, checkpoints and Ctrl-C, the Levenberg-Marquardt polish along
the homotopy, and the finish (validation on fresh points, outcome, message)."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from pathlib import Path

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import optax

from ....grammar.diagnostics import Diagnostic, EconError
from ... import cache, interrupt
from ...devices import choose, is_writer, placed
from ...progress import Progress
from ...results import Solution
from ..base import Options, Outcome, Problem, Solver, error_above
from ..continuation import homotopy_path
from ..start import guessed, start_guess, traced_start
from . import checkpoint
from .estimate import Changes, Estimator, Stop
from .fields import compose, init_fields
from .networks import split
from .polish import Polish
from .pretrain import fit_to_guess
from .rows import Rows

CHUNK = 50  # steps between host synchronisations (progress, NaN checks)
WARM_START = 20  # Levenberg-Marquardt iterations on the networks' offsets before Adam


def _as_arrays(params: Mapping[str, float]) -> dict[str, np.ndarray]:
    return {k: np.asarray(v, np.float64) for k, v in params.items()}


class NeuralSolver(Solver):
    """A network per unknown (a correction, zero at first, to the model's `guess` statements;
    fitted to a start given by `guess=`, fields or a function of host points), Adam on
    sampled points, then a Levenberg-Marquardt polish on the residual vector. With the setting
    `homotopy = "NAME=VALUE"`, Adam trains at that parameter value and the parameter then walks
    to its own value in `homotopy_steps` steps, the networks carried from step to step and
    polished at each (until the mean squared residual is below `tol`, at most `polish`
    iterations)."""

    def solve(self, problem: Problem, settings, options: Options) -> Solution:
        if settings.seeds > 1:
            from .seeds import train_seeds

            return train_seeds(self, problem, settings, options, choose(options.devices))
        with interrupt.catching():
            path = homotopy_path(settings, problem.params)
            rows = Rows(problem, settings, placed(options.devices))
            training = Training(rows, settings, options, path[0])
            progress = Progress(
                settings.steps + settings.polish * len(path), options.quiet, "neural"
            )
            last = training.history[-1] if training.history else float("nan")
            progress.advance(training.step, last)
            training.adam(progress)
            if training.outcome is None and settings.polish > 0:
                training.polish(path, progress)
            progress.close()
            return finish(training)


class Training:
    """The state of a neural solve: networks, optimiser, random key, step and loss history, and
    how it ended early (`outcome`, with notes) if it did."""

    def __init__(self, rows: Rows, settings, options: Options, start: Mapping[str, float]):
        self.rows, self.settings, self.options = rows, settings, options
        self.start = rows.devices.replicate(_as_arrays(start))
        self.key, init_key = split(settings.seed)
        starts = traced_start(rows.problem, start, options.guess)
        self.fields = init_fields(rows.problem, settings, start, rows.cut, init_key, starts)
        guess = starts
        if options.guess is not None and not options.resume:
            # given fields or a function of host points: the networks are fitted to it
            guess = start_guess(rows.problem, start, options.guess)
            unknowns = guessed(rows.problem, options.guess)
            self.fields = fit_to_guess(rows, self.fields, settings, guess, unknowns)
        # Adam's learning rate at each step goes in as an argument: the steps and the rates are
        # not part of the compiled chunk (a longer run loads the chunk of a shorter one)
        self.schedule = jax.jit(  # one compiled program, not one eager operation per term
            optax.cosine_decay_schedule(
                settings.lr, max(settings.steps, 1), alpha=settings.lr_final / settings.lr
            )
        )
        self.optimizer = optax.scale_by_adam()
        # in one compiled program, not one eager operation per leaf (as `split`)
        self.opt_state = jax.jit(self.optimizer.init)(eqx.filter(self.fields, eqx.is_array))
        self.replicate()
        self.step, self.history = 0, []
        self.outcome: Outcome | None = None
        self.notes: list[str] = []
        self.detail = ""
        self.estimator = Estimator(rows, self.fields, settings)
        self.meta = {
            "model": rows.compiled.model.name,
            "settings": dataclasses.asdict(settings),
            "params": dict(rows.problem.params),
        }
        if options.resume:
            self.resume(options.checkpoint)
        elif settings.steps and not rows.edge_terms and guess is None:
            # a cheap start for Adam; not at a cut edge, where the best constants run off to u -> 0;
            # not from a guess, which is the start
            self.fields = Polish(rows, self.fields, settings, only_offsets=True).run(
                self.fields, self.start, WARM_START
            )[0]
            self.replicate()  # placed as Adam's steps leave them: one compilation of the step

    def resume(self, path: str | Path | None) -> None:
        if not path or not Path(path).is_file():
            raise EconError(
                [
                    Diagnostic(
                        "E182",
                        f"nothing to resume: no checkpoint at {path}"
                        if path
                        else "nothing to resume: the solve keeps no checkpoint",
                        None,
                        "a neural solve keeps its checkpoint beside the results (-o NAME.nc "
                        "keeps NAME.ckpt); pass the -o of the run to continue, or start "
                        "afresh without --resume",
                    )
                ]
            )
        try:
            (self.fields, self.opt_state, self.key), saved = checkpoint.load(
                path, (self.fields, self.opt_state, self.key)
            )
        except ValueError as err:
            raise EconError(
                [
                    Diagnostic(
                        "E140",
                        f"cannot resume from {path}: {err}",
                        None,
                        "resume with the settings of the interrupted run, or "
                        "start afresh without --resume",
                    )
                ]
            ) from None
        self.replicate()
        self.step, self.history = saved["step"], saved["history"]
        self.options.log(f"resuming from {path} at step {self.step}")

    def replicate(self) -> None:
        """The state whole on every device, so each jitted step runs on all (and every host)."""
        self.fields, self.opt_state, self.key = self.rows.devices.replicate(
            (self.fields, self.opt_state, self.key)
        )

    def save(self) -> None:
        if self.options.checkpoint and is_writer():
            checkpoint.save(
                self.options.checkpoint,
                (self.fields, self.opt_state, self.key),
                {**self.meta, "step": self.step, "history": [float(h) for h in self.history]},
            )

    def adam(self, progress: Progress) -> None:
        """Adam up to `steps`, CHUNK steps between checks: a NaN in a chunk restores the last
        good state and halves the learning rate; Ctrl-C keeps the last good state. The state is
        checkpointed every `checkpoint_every` steps and at the end (Ctrl-C included)."""
        settings, optimizer, loss = self.settings, self.optimizer, self.rows.loss

        arrays, static = eqx.partition(self.fields, eqx.is_array)
        tree = jax.tree.structure((arrays, self.opt_state, self.key))

        def run(state, rates, params, n):
            """CHUNK steps in one compiled loop (no dispatch per step), the first `n` taken, at
            learning rates `rates`: the leaves of the new state (arrays, optimiser state, key)
            and the chunk's losses."""

            def step(carry, rate):
                arrays, opt_state, key = carry
                key, sub = jax.random.split(key)
                value, grads = jax.value_and_grad(
                    lambda a: loss(eqx.combine(a, static), params, sub)
                )(arrays)
                updates, opt_state = optimizer.update(grads, opt_state, arrays)
                updates = jax.tree_util.tree_map(lambda u: -rate * u, updates)
                return (eqx.apply_updates(arrays, updates), opt_state, key), value

            def body(carry, at):
                i, rate = at
                return jax.lax.cond(i < n, step, lambda c, _: (c, jnp.nan), carry, rate)

            state, values = jax.lax.scan(body, state, (jnp.arange(CHUNK), rates))
            return jax.tree.leaves(state), values

        run = cache.compiled(run, self.rows.key("adam", static))
        # the rates and n go in as arrays: a Python number would be static, one compilation each
        lr_scale, good = 1.0, (self.fields, self.opt_state, self.step)
        while self.step < settings.steps:
            if interrupt.requested():
                self.outcome, self.detail = Outcome.INTERRUPTED, f" at step {self.step}"
                break
            n = min(CHUNK, settings.steps - self.step)
            state = (eqx.filter(self.fields, eqx.is_array), self.opt_state, self.key)
            rates = lr_scale * np.asarray(self.schedule(np.arange(self.step, self.step + CHUNK)))
            leaves, values = run(state, rates, self.start, np.asarray(n))
            arrays, self.opt_state, self.key = jax.tree.unflatten(tree, leaves)
            self.fields = eqx.combine(arrays, static)
            chunk = np.asarray(jax.device_get(values))[:n]
            if not np.all(np.isfinite(chunk)):
                lr_scale = self._rollback(good, chunk, lr_scale)
                if lr_scale is None:
                    break
                continue
            self.history.extend(chunk.tolist())
            self.step += n
            good = (self.fields, self.opt_state, self.step)
            progress.advance(n, float(chunk[-1]))
            if settings.checkpoint_every and self.step % settings.checkpoint_every < n:
                self.save()
        self.save()

    def _rollback(self, good, chunk: np.ndarray, lr_scale: float) -> float | None:
        """Back to the last good state with half the learning rate; None when it has been
        halved too often."""
        bad = self.step + int(np.argmin(np.isfinite(chunk)))
        self.fields, self.opt_state, self.step = good
        lr_scale *= 0.5
        self.options.log(
            f"warning: the loss became NaN at step {bad}; restored the state of "
            f"step {self.step} and halved the learning rate"
        )
        if lr_scale < 1e-4:
            self.notes.append(
                f"the loss keeps turning NaN near step {self.step}; Adam stopped there"
            )
            return None
        return lr_scale

    def polish(self, path, progress: Progress) -> None:
        """Levenberg-Marquardt at each parameter set of the homotopy path: `polish` iterations
        at the last, until the loss is below `tol` at the others. Steps by CG stop also when
        the estimated error is within `tol_error` (`Stop`), and spend at most the work of Adam:
        `steps` × `points` / `polish_points` CG iterations at each parameter set."""
        settings = self.settings
        polish = Polish(self.rows, self.fields, settings)
        changes = Changes(polish, self.rows)
        budget = max(settings.steps, settings.polish) * settings.points // settings.polish_points
        for k, stage in enumerate(path):
            last = k == len(path) - 1
            params = self.rows.devices.replicate(_as_arrays(stage))
            self.fields, history, interrupted = polish.run(
                self.fields,
                params,
                settings.polish,
                progress,
                target=None if last else settings.tol,
                budget=max(budget, 1),
                done=Stop(self.estimator, changes, params, settings) if last else None,
            )
            self.history.extend(history)
            if interrupted:
                self.outcome, self.detail = Outcome.INTERRUPTED, " during the polish"
                break
        self.save()


def finish(training: Training) -> Solution:
    """The solution: the composed fields, their validation on fresh points, the estimated error
    of each unknown (`estimate`), the outcome: converged when the mean squared residual is below
    `tol` and every estimated error below `tol_error`."""
    rows, settings = training.rows, training.settings
    fields = compose(rows.problem, training.fields)
    params = rows.devices.replicate(_as_arrays(rows.problem.params))
    validation = rows.validation(fields, params, settings.seed)
    total = sum(validation.values())
    outcome, head, errors, derived = training.outcome, None, {}, {}
    if outcome is None and not np.isfinite(total):
        outcome = Outcome.NONFINITE
    elif outcome is None:
        try:
            errors = training.estimator.of(training.fields, params)
            derived = training.estimator.derived(training.fields, params)
        except interrupt.Interrupted:
            outcome, training.detail = Outcome.INTERRUPTED, " during the error estimate"
    if outcome is None:
        heads = []
        if total > settings.tol:
            heads.append(
                f"mean squared residual {total:.3g} on fresh points > tol {settings.tol:g}"
            )
        if above := error_above(errors, settings.tol_error):
            heads.append(above)
        if not all(np.isfinite(list(errors.values()))):
            heads += training.estimator.not_finite(training.fields, params).values()
        for name, where in training.estimator.held(training.fields, params).items():
            heads.append(
                f"{name} sits at {where}, where its bound transform is flat: no correction "
                f"moves it there, so its error is not estimated (widen the bounds, or give a "
                f"guess inside them)"
            )
        outcome = Outcome.NOT_CONVERGED if heads else Outcome.CONVERGED
        head = "; ".join(heads) or None
    message = outcome.message + training.detail + (f": {head}" if head else "")
    message = "; ".join([message] + training.notes)
    return Solution(
        rows.compiled,
        fields,
        rows.problem.params,
        settings,
        np.asarray(training.history, float),
        outcome,
        validation,
        message,
        errors=errors,
        cuts=dict(rows.cut),
        derived_errors=derived,
    )
