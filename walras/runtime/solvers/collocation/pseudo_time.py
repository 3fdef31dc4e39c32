"""A start in pseudo-time: the time-dependent equations walked backwards from the start, as the
equilibrium of a finite-horizon economy whose horizon recedes (EconPDEs.jl's pseudo-transient
continuation; Achdou et al. walk their HJBs the same way).

The model gets a state τ, the time left to a horizon, with drift −1 and no volatility, and every
unknown takes it as an argument: each `drift(f)` then holds −∂f/∂τ, in the equation (and with
the factor) where the model writes it, and equations without one are algebraic (a DAE). An
implicit step from u_old to u over Δτ imposes the equations at τ with ∂u/∂τ = (u − u_old)/Δτ: the
collocation system of the model's expansions of u, solved by Levenberg-Marquardt warm from u_old.
Δτ doubles with each successful step and shrinks fourfold where a step's solve fails (EconPDEs.jl
grows it faster, by the residuals' ratio: see GROWTH)."""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable

import jax
import jax.numpy as jnp
import numpy as np

from ....compiler.codegen import Compiled, Deferred
from ....compiler.model import Process, State, frozen
from ....compiler.outline import Outline
from ....grammar import ast
from ... import cache, interrupt, store
from ...pytree import pytree
from ..least_squares import levenberg_marquardt
from .jacobian import chunk_for, columns
from .local_rows import LocalRows, Step, pair
from .side_conditions import edge_rows

FIRST_STEP = 1.0  # Δτ of the first step (EconPDEs.jl's default), in the model's time unit
GROWTH = 2.0  # Δτ doubles with each step (EconPDEs.jl's residual-driven growth, compounded
# tenfold, jumped to Δτ = 1e8 in three steps on garleanu_panageas and reached another
# equilibrium; tripling lost it too)
SHRINK = 4.0  # and is cut by this factor after a failed step
LONGEST = 1e8  # a step this long is the stationary solve itself
STEPS = 40  # at most this many steps (failed ones included)
GIVE_UP = 3  # the walk ends after this many failed steps in a row (Δτ then 64 times shorter):
# each costs up to `iterations` Levenberg-Marquardt iterations of the whole system, and where
# rows without a time derivative (an algebraic equation, a boundary condition) keep a residual
# no Δτ lowers, shorter steps fail too (di_tella at degree 8: twelve in a row, down to 2e-6)
SETTLED = 1e-6  # the walk stops once the residual sup-norm at the nodes is this small
SOLVED = 1e-3  # a step's solve succeeds when it converges with its residuals this share of
# those at its start (u_old); else Δτ shrinks by SHRINK


@pytree
class Moving:
    """An unknown at the time left to the horizon τ, its last argument: u + τ·(u − u_old)/Δτ, so
    that at τ = 0 it is u and its derivative in τ is the implicit step's (u − u_old)/Δτ."""

    new: Callable
    old: Callable
    rate: jax.Array  # 1/Δτ

    def __call__(self, y: jax.Array) -> jax.Array:
        u = self.new(y[:-1])
        return u + y[-1] * self.rate * (u - self.old(y[:-1]))


def time_dependent(compiled: Compiled) -> Compiled:
    """The model with the time left to a horizon as a last state (drift −1) of every unknown,
    compiled once per model (kept in its `memo`). A model with a key is derived only when a
    function of it that is not exported has to be traced (`codegen.Deferred`: a warm run that
    walks from the local rows derives nothing)."""
    memo = compiled.memo
    if "pseudo-time" not in memo:
        model = compiled.model
        taken = {*model.parameters, *model.state_names, *model.definitions, *model.shocks}
        taken |= {u.name for u in model.unknowns}
        name = next(n for n in ("tau", "tau_", "tau__") if n not in taken)
        span = model.states[0].span
        state = State(name, 0.0, 1.0, "time left to the horizon", span)
        process = Process(name, ast.Num(-1.0, span), frozen({}), span)
        later = dataclasses.replace(
            model,
            states=model.states + (state,),
            processes=frozen({**model.processes, name: process}),
            unknowns=tuple(dataclasses.replace(u, args=u.args + (name,)) for u in model.unknowns),
        )
        key = compiled.key and f"{compiled.key} pseudo-time"

        @functools.cache
        def derived():
            from ....compiler import symbolic  # (sympy: loaded when a derivation runs)

            return symbolic.build(later)

        if key:
            outline = store.kept("outline", key, lambda: Outline.of(derived()))
            memo["pseudo-time"] = Deferred(later, outline, derived, key)
        else:
            memo["pseudo-time"] = Compiled(derived())
    return memo["pseudo-time"]


class Stepper:
    """The implicit step's residual vector and Levenberg-Marquardt solve on a one-piece
    collocation `system`, as functions of θ, the parameters, the plan, θ_old and 1/Δτ: from the
    time-dependent model's local rows where the system splits (`local_rows.Step`: compiled once
    per model, and exported), else traced whole (every step reuses one compiled function)."""

    def __init__(self, system):
        self.system = system
        self.later = time_dependent(system.problem.compiled)
        self.parts = self.export = None
        if system.split is not None and system.pieces == 1:
            self._from_local_rows(system.split)
        else:
            self._traced()

    def _from_local_rows(self, split):
        rows = LocalRows.of(self.system, self.later)

        def step(old, rate) -> Step:
            return Step(np.asarray(old), float(rate), rows, frozenset(self.system.positive))

        def residual(theta, params, plan, old, rate):
            return split.residual(theta, params, plan, step(old, rate))

        def linearise(theta, params, plan, old, rate):
            return split.linearise(theta, params, plan, step(old, rate))

        def costs(theta, steps, params, plan, old, rate):
            return split.costs(theta, steps, params, plan, step(old, rate))

        self.residual = self.rows = residual
        self.parts = (linearise, costs)
        self.stationary = lambda theta, params, plan: np.abs(
            split.residual(theta, params, plan)
        ).max()

    def _traced(self):
        system = self.system
        name = lambda what: system.key and f"{system.key} pseudo-time {what}"  # noqa: E731

        def residual(theta, params, plan, old, rate):
            return self._residual(theta, params, plan, old, rate)

        def jacobian(theta, params, plan, old, rate):  # by chunks of columns, within memory
            chunk = chunk_for(residual, theta, params, plan, old, rate)
            return columns(lambda t: residual(t, params, plan, old, rate), theta, chunk)

        # exported, as the stationary system's are, so a warm run does not trace them again
        self.rows, self.jacobian, self.export = residual, jacobian, name("step")
        self.residual = cache.compiled(residual, name("residual"))
        self.stationary = cache.compiled(
            lambda theta, params, plan: jnp.abs(system.residual(theta, params, plan)).max(),
            name("stationary"),
        )

    def solve(self, theta, params, plan, old, rate, iterations: int):
        """The implicit step from θ_old over Δτ = 1/rate: Levenberg-Marquardt from θ."""
        split = self.parts is not None
        return levenberg_marquardt(
            self.rows,
            theta,
            jacobian=None if split else self.jacobian,
            args=(params, plan, old, rate),
            iterations=iterations,
            export=self.export,
            parts=self.parts,
            gauss_newton=split,
        )

    def _residual(self, theta, params, plan, old, rate):
        system, later = self.system, self.later
        tree, before = system.unravel(theta), system.unravel(old)
        lo, hi = system.boxes(tree, plan.lo)
        piece = lambda t: system.piece_fields(  # noqa: E731
            {u: c[0] for u, c in t["coef"].items()}, t["scalar"], lo[0], hi[0]
        )
        new, past = piece(tree), piece(before)
        fields = {u: Moving(new[u], past[u], rate) for u in new}
        at = lambda points: _at_zero(system.states_at(jnp.asarray(points), lo[0], hi[0]))  # noqa: E731
        raw = later.residuals(fields, params, at(system.reference), pair)
        interior = system.imposed(raw, plan.mode[0])
        n = system.reference.shape[0]
        rows = [jnp.sqrt(system.problem.weight(k) / n) * r for k, r in interior.items()]
        for b in system.problem.boundaries:
            face = system.faces[b.name]
            r = later.boundary_residuals(fields, params, {b.name: at(face)}, only=b.name)[b.name]
            rows.append(jnp.sqrt(system.problem.boundary_weight(b.name) / face.shape[0]) * r)
        rows += edge_rows(system, tree)
        return jnp.concatenate([jnp.ravel(r) for r in rows])

    def dynamic(self, theta, params, plan) -> bool:
        """Whether any equation holds a time derivative: the step's residuals move with 1/Δτ
        between θ and a nearby θ_old (θ scaled by 1 − 1e-3, which keeps the signs of the
        start's derivatives, where a consumption from a first-order condition needs them; or
        θ − 0.01 at a zero start). Rows that are not finite there are no evidence either way."""
        theta = np.asarray(theta)
        for old in (theta * (1 - 1e-3), theta - 0.01):
            moved = np.abs(
                np.asarray(self.residual(theta, params, plan, old, np.float64(1.0)))
                - np.asarray(self.residual(theta, params, plan, old, np.float64(0.0)))
            )
            if np.any(np.isfinite(moved) & (moved > 0)):
                return True
        return False


def _at_zero(x: jax.Array) -> jax.Array:
    return jnp.concatenate([x, jnp.zeros((x.shape[0], 1), x.dtype)], axis=1)


@dataclasses.dataclass
class Walked:
    """Where the walk ended, its steps (taken and failed), the last Δτ, the Levenberg-Marquardt
    iterations and residual history (½‖r‖² of the steps' systems), the stationary residual
    sup-norm at the nodes where it ended, and whether it gave up (GIVE_UP failed steps in a
    row)."""

    theta: jax.Array
    steps: int
    failed: int
    dt: float
    iterations: int
    history: list[float]
    residual: float
    gave_up: bool = False


def stepper(system) -> Stepper:
    """The `Stepper` of a collocation system, made once (kept in the model's `memo`)."""
    memo = system.problem.compiled.memo
    key = ("pseudo-time stepper", id(system))
    if key not in memo:
        memo[key] = Stepper(system)
    return memo[key]


def walk(stepper: Stepper, theta, params, plan, iterations: int) -> Walked:
    """Implicit steps from θ with Δτ doubling, each a Levenberg-Marquardt solve of at most
    `iterations` warm from the last, until the stationary residuals at the nodes fall below
    SETTLED, Δτ reaches LONGEST, STEPS are taken or GIVE_UP steps in a row fail."""
    stationary = lambda t: float(stepper.stationary(t, params, plan))  # noqa: E731
    now, dt = stationary(theta), FIRST_STEP
    taken = failed = its = row = 0
    history: list[float] = []
    while taken + failed < STEPS and now > SETTLED and not interrupt.requested():
        if row == GIVE_UP:
            break
        rate = jax.device_put(np.float64(1.0 / dt))
        start = np.abs(np.asarray(stepper.residual(theta, params, plan, theta, rate))).max()
        result = stepper.solve(theta, params, plan, theta, rate, iterations)
        its += result.iterations
        history.extend(2 * h for h in result.history)
        end = np.abs(np.asarray(stepper.residual(result.theta, params, plan, theta, rate))).max()
        after = stationary(result.theta)
        if not (result.converged and end <= SOLVED * start and np.isfinite(after)):
            failed, row, dt = failed + 1, row + 1, dt / SHRINK
            continue
        taken, row = taken + 1, 0
        theta, now, dt = result.theta, after, dt * GROWTH
        if dt >= LONGEST:
            break
    return Walked(theta, taken, failed, dt, its, history, now, row == GIVE_UP)
