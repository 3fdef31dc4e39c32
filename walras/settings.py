"""Solver settings: defaults, overridable from a `solver` statement, the command line and Python."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass


@dataclass(frozen=True)
class Settings:
    method: str = "neural"          # neural | collocation
    seed: int = 0
    # neural solver
    steps: int = 1500               # Adam steps
    lr: float = 3e-3                # peak learning rate (cosine decay)
    lr_final: float = 1e-5
    width: int = 20
    depth: int = 2
    activation: str = "tanh"
    points: int = 512               # interior points per step
    boundary_points: int = 16       # points per boundary face per step
    sampling: str = "sobol"         # sobol | uniform
    margin: float = 1e-3            # fraction of each state's range kept off the edges
    polish: int = 300               # Levenberg-Marquardt iterations after Adam
    polish_points: int = 256        # fixed interior points of the polish
    tol: float = 1e-8               # mean squared residual on fresh points that counts as solved
    checkpoint_every: int = 500
    grid: int = 101                 # evaluation points per state in the results
    # collocation solver
    degree: int = 32                # per state (capped at 4096 coefficients per unknown)
    iterations: int = 50            # Newton (Levenberg-Marquardt) iterations per stage
    residual_tol: float = 1e-8      # residual sup-norm off the nodes that counts as solved
    # both solvers
    homotopy: str = ""              # "NAME=VALUE": solve there first, then walk NAME to its value
    homotopy_steps: int = 8
    edge: float = 0.0               # cut zero lower edges of states here, log coordinate (0:
                                    # collocation if needed, neural always at 1e-4)

    def replace(self, **changes) -> "Settings":
        return dataclasses.replace(self, **{k: coerce(k, v) for k, v in changes.items()})


FIELDS = {f.name: f for f in dataclasses.fields(Settings)}
CHOICES = {"method": ("neural", "collocation"), "sampling": ("sobol", "uniform"),
           "activation": ("tanh", "silu", "gelu", "softplus")}


def coerce(key: str, value):
    """Convert a value given as text or a number to the type of setting `key`; ValueError if not."""
    if key not in FIELDS:
        raise KeyError(key)
    kind = type(FIELDS[key].default)
    if kind is str:
        value = str(value)
        if key in CHOICES and value not in CHOICES[key]:
            raise ValueError(f"'{key}' must be one of {', '.join(CHOICES[key])}")
        return value
    number = float(value)
    if kind is int:
        if number != int(number) or number < 0:
            raise ValueError(f"'{key}' must be a whole number >= 0")
        return int(number)
    return number
