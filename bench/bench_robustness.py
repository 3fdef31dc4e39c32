"""The robustness matrix: library models and their ordinary variants, each solved with default
settings, with the exit status (converged or not), the time, the estimated error and the error
against a reference (a closed form, or the finite-difference references of basak_cuoco).

Run: python bench/bench_robustness.py [collocation|neural ...] [--only NAME ...]
Prints one Markdown row per model and solver (the table in docs/robustness.md)."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

import walras
from walras.runtime.domain import Domain

SHARED = Path(__file__).resolve().parents[2] / "shared" / "references"


def log_agents(rho, trades=None) -> str:
    """Log agents; the first trades both assets, the others `trades` (default both)."""
    lines = []
    for i, r in enumerate(rho):
        assets = "[bond, stock]" if i == 0 or trades is None else trades
        lines.append(
            f"parameter rho_{i} = {r}\nagent a{i}: utility = log, discount = rho_{i}, "
            f"trades = {assets}"
        )
    return (
        "model log_agents\nparameter mu = 0.02, sigma = 0.05\nshock Z\n"
        "endowment y: drift = mu*y, vol[Z] = sigma*y\nasset bond: riskless, supply = 0\n"
        "asset stock: dividend = y, supply = 1\n" + "\n".join(lines) + "\n"
    )


def lucas_pd(rho, gamma, mu, sigma):
    return 1 / (rho + (gamma - 1) * mu - gamma * (gamma - 1) * sigma**2 / 2)


def closed_lucas(sol):
    p = sol.params
    pd_ = lucas_pd(p["rho"], p["gamma"], p["mu_y"], p["sigma_y"])
    return abs(float(np.asarray(sol.dataset["pd"])) / pd_ - 1)


def closed_log(rho):
    rho = np.asarray(rho)

    def error(sol):
        domain = Domain.of(sol.compiled.model)
        x = domain.sample(2000, seed=3)
        eta = np.c_[x, 1 - x.sum(1)]
        keep = (eta >= 0.01).all(1)
        ds = sol.evaluate(x[keep])
        errs = [np.abs(ds["pd"].values * (eta[keep] @ rho) - 1).max()]
        errs += [np.abs(ds[f"omega_a{i}"].values / r - 1).max() for i, r in enumerate(rho)]
        return float(max(errs))

    return error


def finite_difference(name):
    ref = pd.read_csv(SHARED / name)

    def error(sol):
        ds = sol.evaluate(ref.eta.values)
        cols = ("pd", "omega_expert", "omega_household")
        return float(max(np.abs(ds[c].values / ref[c].values - 1).max() for c in cols))

    return error


def matrix():
    """(name, model loader, error function) for every model of the matrix."""
    rows = []
    for gamma in (1, 2, 5, 10):
        for sigma in (0.025, 0.05, 0.1):
            load = lambda g=gamma, s=sigma: walras.load("lucas_economy", gamma=g, sigma_y=s)
            rows.append((f"lucas_economy γ={gamma} σ={sigma}", load, closed_lucas))
    for rho in ((0.05, 0.05), (0.03, 0.07), (0.02, 0.05, 0.08), (0.02, 0.035, 0.05, 0.065, 0.08)):
        load = lambda r=rho: walras.load(log_agents(r))
        rows.append((f"{len(rho)} log agents ρ={rho}", load, closed_log(rho)))
    load = lambda: walras.load(log_agents((0.03, 0.07), "[bond]"))
    rows.append(("2 log agents, households bond only", load, closed_log((0.03, 0.07))))
    for gamma, ref in ((2, "bc_gamma2_ref.csv"), (5, "bc_gamma5_ref.csv")):
        load = lambda g=gamma: walras.load("basak_cuoco", gamma=g)
        rows.append((f"basak_cuoco γ={gamma}", load, finite_difference(ref)))
    return rows


def main(argv):
    methods = [a for a in argv if a in ("collocation", "neural")] or ["collocation"]
    only = argv[argv.index("--only") + 1 :] if "--only" in argv else None
    print("| model | solver | converged | time (s) | estimated error | error |")
    print("|---|---|---|---|---|---|")
    for name, load, error in matrix():
        if only and not any(o in name for o in only):
            continue
        try:
            model = load()
        except walras.EconError as e:
            code = e.diagnostics[0].code
            print(f"| {name} | both | refused ({code}: no equilibrium) | | | |", flush=True)
            continue
        for method in methods:
            t = time.perf_counter()
            sol = walras.solve(model, method=method)
            seconds = time.perf_counter() - t
            estimate = max(sol.errors.values(), default=float("nan"))
            print(
                f"| {name} | {method} | {'yes' if sol.converged else 'no'} | {seconds:.1f} | "
                f"{estimate:.1e} | {error(sol):.1e} |",
                flush=True,
            )


if __name__ == "__main__":
    main(sys.argv[1:])
