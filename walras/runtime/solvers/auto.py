"""The default method, "auto": spectral collocation for few continuous states, neural networks
for many (DESIGN.md). Continuous states count as the collocation solver needs them: a parameter
solved over a range (`--over`) is one more axis of its expansions; a discrete state is not (it
adds one expansion per value, at about the cost of one, `docs/collocation.md`). Imports no JAX."""

from __future__ import annotations

from . import registry

COLLOCATION_UP_TO = 4  # continuous states: Smolyak grids of 1473 coefficients per unknown at
# four states (five log agents converge to 1e-8 in 85 s of CPU); see docs/collocation.md


def unused(method: str, keys) -> str:
    """A note naming the settings among `keys` that belong to another solver than `method` (they
    do nothing in this solve); empty when there are none."""
    other = [k for k in keys if registry.owner(k) not in (None, method)]
    if not other:
        return ""
    return f" ({', '.join(other)}: settings of another solver, unused; --method picks it)"


def choose(model) -> tuple[str, str]:
    """(method, why) for a checked model whose `method` setting is "auto"."""
    n = sum(not s.discrete for s in model.states)
    method = "collocation" if n <= COLLOCATION_UP_TO else "neural"
    plural = "" if n == 1 else "s"
    return method, (
        f"{n} continuous state{plural}: collocation up to {COLLOCATION_UP_TO}, neural beyond"
    )
