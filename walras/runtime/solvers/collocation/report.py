"""What a collocation solve reports: its outcome, the message (what happened and, when it failed,
where the residual is largest, the residual history, whether the coefficients decayed, what to
try), and the convergence evidence as tagged result variables."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

import numpy as np

from ...results import Deferred, Solution
from ...schema import Role, tag
from ..base import Outcome, worst_error
from .evidence import Evidence, decays, located

DECAYED = 1e-10  # coefficients whose last ones are this small (relative) have decayed

if TYPE_CHECKING:
    import xarray as xr

    from .problem import System
    from .systems import Attempt


def outcome(attempt: Attempt, settings, errors: Mapping[str, float]) -> Outcome:
    """Converged when the attempt is solved (`Attempt.solved`: its residuals off the nodes within
    `residual_tol`, or the degree's truncation) and its estimated error is within `tol_error`."""
    if attempt.solved(settings) and worst_error(errors)[1] <= settings.tol_error:
        return Outcome.CONVERGED
    return Outcome.NOT_CONVERGED if np.isfinite(attempt.ev.total) else Outcome.NONFINITE


def solution(
    attempt: Attempt,
    params: Mapping[str, float],
    settings,
    history: list[float],
    iterations: int,
    change: Mapping[str, xr.DataArray],
    errors: Mapping[str, float],
    cuts: Mapping[str, float] | None = None,
    interrupted: bool = False,
) -> Solution:
    """The `Solution` at `params`; `change` is the edge change by unknown (empty without a cut
    edge), `errors` the estimated error of each unknown (empty when the solve failed), `cuts`
    where the results start along each cut state (by default the solve's own cuts);
    `interrupted`: Ctrl-C or SIGTERM stopped the solve, which is then not converged."""
    system, theta, ev = attempt.system, attempt.theta, attempt.ev
    dec = decays(system, theta)
    result = Outcome.INTERRUPTED if interrupted else outcome(attempt, settings, errors)
    if cuts is None:
        cuts = {
            s.name: float(lo)
            for s, lo, log in zip(system.problem.states, system.lo, system.log)
            if log
        }
    if errors and not (attempt.coarse or attempt.converged(settings)):
        attempt.notes.append(
            f"the equations hold at the nodes and the coefficients have decayed (last/first "
            f"{max(tails(system, theta).values()):.1e}): the residual off the nodes, above "
            f"residual_tol ({settings.residual_tol:g}), is the degree's truncation, which the "
            f"error estimate measures"
        )
    if errors:
        attempt.notes.append(error_note(errors, settings.tol_error))
    if change:
        attempt.notes.append(edge_note(change, settings.edge, cuts))
    cut = attempt.cut
    message = _message(
        system,
        ev,
        dec,
        history,
        iterations,
        result,
        settings,
        attempt.notes,
        cut,
        attempt.exhausted,
    )
    return Solution(
        system.compiled,
        system.fields(theta),
        dict(params),
        settings,
        np.asarray(history, float),
        result,
        ev.mean_square,
        message,
        Deferred(lambda: _evidence(system, ev, dec, iterations, change, cut)),
        dict(errors),
        dict(cuts),
    )


def _evidence(system, ev: Evidence, dec, iterations: int, change, cut) -> dict:
    """The solve's evidence as labelled variables of the results."""
    import xarray as xr

    extra = {
        "residual_sup": tag(
            xr.DataArray(
                np.array(list(ev.sup.values())),
                dims=["equation"],
                coords={"equation": list(ev.sup)},
            ),
            Role.EVIDENCE,
            long_name="residual sup-norm off the nodes",
        ),
        "degree": tag(xr.DataArray(system.degree), Role.EVIDENCE, long_name="Chebyshev degree"),
        "iterations": tag(xr.DataArray(iterations), Role.EVIDENCE, long_name="Newton iterations"),
    }
    for u, rows in dec.items():
        extra[f"chebyshev_{u}"] = tag(
            xr.DataArray(rows, dims=["piece", "chebyshev_degree"]),
            Role.EVIDENCE,
            unknown=u,
            long_name=f"max |coefficient| of {u} by degree (spectral decay)",
        )
    extra.update({f"edge_change_{u}": v for u, v in change.items()})
    if cut is not None:
        state = system.compiled.states[0]
        extra[f"free_boundary_{state}"] = tag(
            xr.DataArray(cut),
            Role.EVIDENCE,
            state=state,
            long_name="where the complementarity switches",
        )
    return extra


def error_note(errors: Mapping[str, float], tol: float) -> str:
    """The largest estimated error, and whether it is within `tol_error`."""
    worst, largest = worst_error(errors)
    verdict = "within" if largest <= tol else "above"
    return (
        f"estimated error {largest:.1e} ({worst}, relative; from a solve at another "
        f"degree, and the cut moved where there is one), {verdict} tol_error {tol:g}"
    )


def edge_note(change: Mapping[str, xr.DataArray], edge: float, cuts: Mapping[str, float]) -> str:
    """How far the cut reaches: the largest change of an unknown when the cut moves a decade,
    how fast the changes shrink per decade, the error the cut leaves and where the results
    start."""
    head = f"zero edges cut at {edge:g} of their range (log coordinate, power laws below); "
    largest = {u: float(v.max()) for u, v in change.items()}  # NaN where it failed
    worst = max(largest, key=lambda u: largest[u] if np.isfinite(largest[u]) else np.inf)
    attrs = change[worst].attrs
    other = attrs["cut"] if attrs["moved"] == edge else attrs["moved"]
    head += f"cut at {other:g} instead, "
    start = "; results from " + ", ".join(f"{s} = {v:.3g}" for s, v in cuts.items())
    if not np.isfinite(largest[worst]):
        return head + "the solve does not converge, so how far the cut reaches is not known" + start
    peak = change[worst].where(change[worst] == largest[worst], drop=True)
    at = ", ".join(f"{k} = {float(v[0]):.3g}" for k, v in peak.coords.items())
    ratio, left = attrs["decade_ratio"], attrs["cut_error"]
    return (
        head
        + (
            f"the unknowns change by at most {largest[worst]:.1e} on the results grid ({worst} at "
            f"{at}); the changes shrink {ratio:.3g}-fold per decade of the cut, so it leaves an "
            f"error of at most {left:.1e} (absolute) in {worst}, above the cut (at "
            f"{attrs['cut_error_at']})"
        )
        + start
    )


def _message(
    system: System,
    ev: Evidence,
    dec,
    history,
    iterations,
    result: Outcome,
    settings,
    notes,
    cut,
    exhausted=False,
) -> str:
    states = system.compiled.states
    small = ev.ok and ev.total <= settings.residual_tol
    stopped = result is Outcome.INTERRUPTED
    if stopped:
        head = (
            f"{result.message} at degree {system.degree}, not converged: residual sup-norm "
            f"{ev.total:.1e} off the nodes (tolerance {settings.residual_tol:g}), "
            f"{iterations} Newton iterations"
        )
    elif result.converged or small:
        head = (
            f"{result.message}: degree {system.degree}, {iterations} Newton iterations, "
            f"residual sup-norm {ev.total:.1e} off the nodes"
        )
    else:
        head = (
            f"{result.message}: residual sup-norm {ev.total:.1e} off the nodes "
            f"(tolerance {settings.residual_tol:g}) at degree {system.degree}"
        )
    if cut is not None:
        head += f"; free boundary at {states[0]} = {cut:.10g}"
    lines = [head] + notes + ev.violations
    if result.converged:
        return "; ".join(lines)
    if small and not stopped:  # the residuals are within their tolerance, the error is not
        return "; ".join(lines + ["raise the degree"])
    worst = ev.worst
    lines.append(f"largest in '{worst}'" + located(states, ev.where[worst], " at "))
    shown = history if len(history) <= 8 else history[:4] + history[-4:]
    lines.append(
        f"sum of squared residuals over {iterations} iterations: "
        + " -> ".join(f"{h:.2e}" for h in shown)
    )
    if stopped:  # what to try is to let it run
        return "; ".join(lines)
    guessed = system.compiled.model.guesses
    unguessed = [u.name for u in system.compiled.model.unknowns if u.name not in guessed]
    return "; ".join(lines + _advice(ev, dec, history, settings, unguessed, exhausted))


def tails(system: System, theta) -> dict[str, float]:
    """The largest of each unknown's last three coefficients, relative to its largest."""
    return _tails(decays(system, theta))


def _tails(dec) -> dict[str, float]:
    return {u: float(rows[:, -3:].max() / max(rows.max(), 1e-300)) for u, rows in dec.items()}


def _advice(ev: Evidence, dec, history, settings, unguessed=(), exhausted=False) -> list[str]:
    """What to try: a higher degree when the coefficients have not decayed (where higher degrees
    were tried and did not help, `exhausted`, what the slow decay says instead); a homotopy when the
    solution leaves its bounds or Newton stalled (residuals not small even at the nodes), and
    then a `guess` for the `unguessed` unknowns (they start from a constant); another guess
    when the residuals were not finite from the start and still are."""
    lines = []
    at_nodes = float(np.sqrt(history[-1])) if history else np.inf
    stalled = not np.isfinite(ev.total) or at_nodes > max(settings.residual_tol, 1e-2 * ev.total)
    tails = _tails(dec)
    slow = [u for u, t in tails.items() if t > DECAYED]
    if slow and np.isfinite(ev.total):
        lines.append(
            "the coefficients of " + ", ".join(slow) + " have not decayed (last/first "
            f"{max(tails[u] for u in slow):.1e}): "
            + (
                "higher degrees did not help, so the solution is not smooth enough for "
                "polynomials where the residuals peak (a kink from max, min or abs in the "
                "equations, a layer steeper than the degree resolves, or a singular point): "
                "smooth the equations there, end the domain before a singular point, or try "
                "--method neural"
                if exhausted
                else "raise the degree"
            )
        )
    if ev.violations:
        lines.append(
            "the solution found leaves the declared bounds: there may be no equilibrium "
            "at these parameters, or Newton went astray from this start; try a homotopy "
            "from an easier parameter value"
        )
    elif history and not np.isfinite(history[0]) and not np.isfinite(ev.total):
        lines.append("the start is not finite (above): give a guess whose equations are finite")
    elif stalled:
        lines.append(
            "Newton stalled: there may be no equilibrium at these parameters, or the "
            "start is too far; try a homotopy from an easier parameter value"
            + (
                f", or a guess for {', '.join(unguessed)} (`guess {unguessed[0]} = ...`: "
                "without one an unknown starts from a constant)"
                if unguessed
                else ""
            )
        )
    return lines
