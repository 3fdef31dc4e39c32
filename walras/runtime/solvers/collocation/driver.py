"""The collocation solve: attempts at fixed parameters (`stages`), walked along the homotopy and the
edge path (`walks`, `continuation`), the retry with zero edges cut when the whole domain fails, the
walk from the model's easier parameters, higher degrees (`degrees`), the error estimate and the
edge change."""

from __future__ import annotations

from ... import interrupt
from ...progress import Progress
from ..base import Options, Problem, Solver
from . import crowd, cut_edge, estimate, report, stages
from .degrees import raise_degree
from .systems import Systems
from .walks import EDGE, Walk, from_easier, retry, walk_or_cut

ROUNDING = 1e-13  # solves that agree to rounding still differ by this much (relative): the
# noise below which a cut's changes are not evidence (leland at σ = 0.2: changes of 4e-15 to
# 7e-14 on E ≤ 8.3 whose ratio per decade was noise, so the cut's error came out infinite)
START_COEFFICIENTS = 400  # per unknown: with several states, the solve starts at a degree whose
# expansions have at most this many coefficients (a dense Jacobian of a few thousand columns),
# and the degree rises by itself (`degrees`, `estimate.refine`) while the solve needs it


class CollocationSolver(Solver):
    """Chebyshev collocation. `options.guess`: a previous solution's `fields` (continuation), or
    a function (unknown, points of its states) -> values; by default the model's `guess`
    statements, and a constant inside each unknown's bounds for unknowns without one. When the
    expansions fail on the whole domain and a state's range starts at 0 (where, say, a
    consumption-wealth ratio diverges like a power), the solve is repeated with that edge cut at
    `EDGE` (the setting `edge` chooses the cut from the start)."""

    def solve(self, problem: Problem, settings, options: Options):
        with interrupt.catching(), Progress(None, options.quiet, "collocation").active():
            return self._solve(problem, settings, options)

    def _solve(self, problem: Problem, settings, options: Options):
        """The walk, the retry with zero edges cut, the retry with the nodes crowded towards an
        edge (`crowd`), the walk from the model's easier parameters and higher degrees (these
        first where the walk's degree fell short, `Walk.short`), the edge change and the error
        estimate; Ctrl-C (`interrupt`) stops each between
        Levenberg-Marquardt iterations, and the solution is what was reached."""
        systems = Systems(problem, settings.basis, settings.positive == "log")
        params, given = problem.params, settings.edge
        settings = settings.replace(
            degree=systems.degree(settings.degree, budget=START_COEFFICIENTS)
        )
        walk, settings = walk_or_cut(systems, settings, params, options)
        if not walk.attempt.coarse:
            again = retry(systems, settings, params, options, walk)
            walk = crowd.towards_edge(systems, walk, again, settings)
        easier = problem.compiled.model.easier
        done = walk.attempt.solved(settings) or interrupt.requested()
        if not (done or settings.homotopy) and easier:
            if walk.short:  # higher degrees first: the walk from easier parameters would
                # end where this one did
                target = _target(walk, given)
                walk, settings = raise_degree(systems, settings, params, options, walk, target)
                done = walk.attempt.solved(settings) or interrupt.requested()
            if not done:
                walk, settings = from_easier(systems, settings, params, options, walk, easier)
        walk, settings = raise_degree(
            systems, settings, params, options, walk, _target(walk, given)
        )
        settings = settings.replace(edge=walk.edge)  # where the cut ended, not where it was asked
        attempt = walk.attempt
        attempt.notes[:0] = walk.notes
        change, errors, cuts, described = {}, {}, None, {}
        solve = lambda s, guess: stages.attempt(systems, s, params, guess)  # noqa: E731
        if attempt.solved(settings) and not interrupt.requested():
            attempt, settings, errors, described = estimate.refine(solve, settings, attempt, params)
        if errors and any(attempt.system.log) and not interrupt.requested():
            unknowns = {u: e for u, e in errors.items() if u in attempt.system.args}
            size = {u: estimate.size(attempt, u) for u in unknowns}
            # two solves, each within its own error of the truth, differ by up to twice it
            noise = {u: 2 * max(e, ROUNDING) * size[u] for u, e in unknowns.items()}
            budget = {u: (settings.tol_error - e) * size[u] for u, e in unknowns.items()}
            change, reach, sizes, cuts = cut_edge.cut_reach(solve, settings, attempt, noise, budget)
            for u, v in reach.items():  # what the cut leaves adds to the truncation error
                errors[u] += v / max(estimate.size(attempt, u), sizes[u])
        solution = report.solution(
            attempt,
            params,
            settings,
            walk.history,
            walk.iterations,
            change,
            errors,
            cuts,
            interrupt.requested(),
        )
        solution.derived_errors = described
        return solution


def _target(walk: Walk, given: float) -> float:
    """Where the cut should reach: where the walk settled it, else the cut asked for, else
    `EDGE` where edges are cut."""
    return walk.edge if walk.settled else given or (EDGE if walk.edge else 0.0)
