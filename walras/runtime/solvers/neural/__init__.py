"""The neural solver: a network per unknown, Adam on sampled points, then a Levenberg-Marquardt
polish on the residual vector (`driver`); its settings group is declared here."""

from __future__ import annotations

from dataclasses import dataclass, field

from ..registry import register


@dataclass(frozen=True)
class NeuralSettings:
    """A field's `metadata` gives its valid values: "choices", or a range ("min"/"above",
    "max"/"below"); `walras.settings.coerce` enforces them. "host": read on the host alone, never
    inside a compiled function, so a change of it loads the exported functions of a run before
    (`walras.settings.traced`)."""

    # Adam steps, its learning rate at the start and at the end (a cosine between)
    steps: int = field(default=1500, metadata={"min": 0, "max": 10**7, "host": True})
    lr: float = field(default=3e-3, metadata={"above": 0, "max": 10, "host": True})
    lr_final: float = field(default=1e-5, metadata={"min": 0, "max": 10, "host": True})
    width: int = field(default=20, metadata={"min": 1, "max": 4096})
    depth: int = field(default=2, metadata={"min": 1, "max": 64})
    activation: str = field(
        default="tanh", metadata={"choices": ("tanh", "silu", "gelu", "softplus")}
    )
    points: int = field(default=512, metadata={"min": 1, "max": 10**6})  # interior, per step
    boundary_points: int = field(default=16, metadata={"min": 0, "max": 10**5})  # per face
    sampling: str = field(default="sobol", metadata={"choices": ("sobol", "uniform")})
    # Levenberg-Marquardt iterations
    polish: int = field(default=300, metadata={"min": 0, "max": 10**5, "host": True})
    polish_points: int = field(default=256, metadata={"min": 1, "max": 10**5})  # fixed points
    # mean squared residual, fresh points
    tol: float = field(default=1e-8, metadata={"above": 0, "host": True})
    arrays: str = field(  # an agent array's members: one shared network or one each
        default="shared", metadata={"choices": ("shared", "separate")}
    )
    edge_row: str = field(  # at a cut edge: any power law, or the indicial equation's choice
        default="power", metadata={"choices": ("power", "indicial")}
    )
    checkpoint_every: int = field(default=500, metadata={"min": 1, "max": 10**7, "host": True})
    # seeds trained at once, a device each (`seeds`): the best by validation is kept, the spread
    # between them joins the estimated error
    seeds: int = field(default=1, metadata={"min": 1, "max": 4096})


def _load():
    from .driver import NeuralSolver

    return NeuralSolver()


register("neural", NeuralSettings, _load)
