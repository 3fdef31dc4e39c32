"""What became of a homotopy the solve walked: parameters that change none of the equations (one
that sets only a state's bounds: they stay where the model puts them), or how far it converged."""

from __future__ import annotations

from collections.abc import Mapping

import jax
import numpy as np

from .problem import System


def inert(system: System, theta, start: Mapping[str, float], params: Mapping[str, float]) -> bool:
    """Whether the equations and boundary conditions at θ are the same at `start` as at
    `params`: the homotopy's parameters enter none of them."""
    one, other = (
        system.evaluate(theta, {k: jax.device_put(np.float64(v)) for k, v in q.items()})
        for q in (start, params)
    )
    return all(
        np.array_equal(np.asarray(one[i][k]), np.asarray(other[i][k]), equal_nan=True)
        for i in (0, 2)
        for k in one[i]
    )


def note(text: str, names, steps: list[tuple[Mapping[str, float], bool, float]], same: bool) -> str:
    """The homotopy from `text` (`steps`: each step before the model's own parameters, whether it
    converged and its residual sup-norm off the nodes; `same`: `inert`)."""
    head = f"the homotopy from {text} ({len(steps)} steps before the model's values)"
    if same:
        return (
            f"{head} changed nothing: {', '.join(names)} "
            f"{'enters' if len(names) == 1 else 'enter'} no equation or boundary condition "
            "(a state's bounds stay where the model puts them), so each step solved the same "
            "equations; to solve on another domain, set it with --set"
        )
    done = [k for k, (_, converged, _) in enumerate(steps) if converged]
    if not done:
        return (
            f"{head}: its first step did not converge (residual sup-norm {steps[0][2]:.1e} off "
            "the nodes), and each later step started from the one before"
        )
    last = steps[done[-1]][0]
    where = ", ".join(f"{k} = {last[k]:g}" for k in names)
    return f"{head} converged up to {where} (step {done[-1] + 1}), not beyond"
