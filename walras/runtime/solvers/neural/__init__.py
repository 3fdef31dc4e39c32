"""The neural solver: a network per unknown, Adam on sampled points, then a Levenberg-Marquardt
polish on the residual vector (`driver`); its settings group is declared here."""

from __future__ import annotations

from dataclasses import dataclass, field

from ..registry import register


@dataclass(frozen=True)
class NeuralSettings:
    steps: int = 1500  # Adam steps
    lr: float = 3e-3  # peak learning rate (cosine decay)
    lr_final: float = 1e-5
    width: int = 20
    depth: int = 2
    activation: str = field(
        default="tanh", metadata={"choices": ("tanh", "silu", "gelu", "softplus")}
    )
    points: int = 512  # interior points per step
    boundary_points: int = 16  # points per boundary face per step
    sampling: str = field(default="sobol", metadata={"choices": ("sobol", "uniform")})
    polish: int = 300  # Levenberg-Marquardt iterations after Adam
    polish_points: int = 256  # fixed interior points of the polish
    tol: float = 1e-8  # mean squared residual on fresh points that counts as solved
    checkpoint_every: int = 500


def _load():
    from .driver import NeuralSolver

    return NeuralSolver()


register("neural", NeuralSettings, _load)
