"""The robustness matrix: library models and their ordinary variants, each solved with default
settings, with the exit status (converged or not), the time, the estimated error and the error
against a reference: a closed form or an independent solution (tests/references.py: scipy
quadrature and ODE integration, linear systems; the finite-difference references of
basak_cuoco), else a collocation solve at a higher degree and a tenfold lower cut ("collocation
reference" in the table). Errors are relative to each unknown's largest size, as the estimate is.

Run: python bench/bench_robustness.py [collocation|neural ...] [--only NAME ...]
Prints one Markdown row per model and solver (the table in docs/robustness.md)."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.interpolate import CubicSpline

import walras
from walras.runtime.domain import Domain

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from growth_reference import stable_arm  # noqa: E402
from huggett_reference import Huggett, distances  # noqa: E402
from leland_reference import Leland  # noqa: E402
from references import (  # noqa: E402
    REFERENCES,
    BrusanLog,
    disaster_pd,
    lucas_pd,
    regime_disasters_pd,
    three_regimes,
    two_regimes,
    two_trees_v,
    wachter_pd,
)


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


def expert_households(K: int, gamma: float = 2) -> str:
    """basak_cuoco with K identical households (an agent array), all CRRA γ."""
    return (
        f"model expert_households\nparameter gamma = {gamma}, rho = 0.05\n"
        "parameter mu_y = 0.02, sigma_y = 0.05\nshock Z\n"
        "endowment y: drift = mu_y*y, vol[Z] = sigma_y*y\nasset bond: riskless, supply = 0\n"
        "asset stock: dividend = y, supply = 1\n"
        "agent expert: utility = crra(gamma), discount = rho, trades = [bond, stock]\n"
        f"agent household[{K}]: utility = crra(gamma), discount = rho, trades = [bond]\n"
    )


def relative(values: np.ndarray, reference: np.ndarray) -> float:
    """The largest error relative to the reference's largest size."""
    reference = np.asarray(reference, float)
    return float(np.max(np.abs(np.asarray(values) - reference)) / np.max(np.abs(reference)))


def interior(sol, n: int = 200) -> np.ndarray:
    """Results points of a solution: the grid of its states (one state) or a sample of its
    domain; a hundredth of each range off the edges."""
    domain = Domain.of(sol.compiled.model)
    x = domain.sample(n, seed=3)
    lo, hi = domain.lo, domain.hi
    return x[np.all((x >= lo + 0.01 * (hi - lo)) & (x <= hi - 0.01 * (hi - lo)), axis=1)]


def closed_pd(pd_of):
    """A price-dividend ratio constant in the states (per regime: an array by the last state)."""

    def error(sol):
        ds = sol.dataset
        if "s" in ds.dims and ds.sizes.get("s", 1) > 1:  # regimes: pd(…, s)
            values = ds["pd"].transpose(..., "s").values.reshape(-1, ds.sizes["s"])
            return relative(values, np.broadcast_to(pd_of(sol.params), values.shape))
        return relative(ds["pd"].values, np.full(ds["pd"].shape, pd_of(sol.params)))

    return error


def closed_log(rho, agents=None):
    """Log agents (named a0, a1, ... unless `agents` names them): ω_i = ρ_i, pd = 1/Σ ρ_i η_i,
    at points with every share ≥ 0.01."""
    rho = np.asarray(rho)
    agents = agents or [f"a{i}" for i in range(len(rho))]

    def error(sol):
        domain = Domain.of(sol.compiled.model)
        x = domain.sample(2000, seed=3)
        eta = np.c_[x, 1 - x.sum(1)]
        keep = (eta >= 0.01).all(1)
        ds = sol.evaluate(x[keep])
        errs = [relative(ds["pd"].values, 1 / (eta[keep] @ rho))]
        errs += [
            relative(ds[f"omega_{a}"].values, np.full(keep.sum(), r)) for a, r in zip(agents, rho)
        ]
        return max(errs)

    return error


def finite_difference(name):
    """basak_cuoco against an independent two-agent solution (η in [0.05, 0.95])."""

    def error(sol):
        ref = pd.read_csv(REFERENCES / name)
        ds = sol.evaluate(ref.eta.values)
        cols = ("pd", "omega_expert", "omega_household")
        return max(relative(ds[c].values, ref[c].values) for c in cols)

    return error


def two_agent(name, points: int = 500):
    """K identical households against the independent two-agent solution at the same expert
    share: random points of the simplex with the expert's share in [0.1, 0.9] and the
    households' wealth split at random (uniformly on its simplex); every household's ω against
    the two-agent household's."""

    def error(sol):
        ref = pd.read_csv(REFERENCES / name)
        states = list(sol.compiled.model.states)
        rng = np.random.default_rng(5)
        expert = rng.uniform(0.1, 0.9, points)
        split = rng.dirichlet(np.ones(len(states)), points)
        ds = sol.evaluate(np.c_[expert, (1 - expert)[:, None] * split][:, : len(states)])
        at = lambda c: CubicSpline(ref.eta.values, ref[c].values)(expert)  # noqa: E731
        errs = [relative(ds[c].values, at(c)) for c in ("pd", "omega_expert")]
        households = [v for v in ds.data_vars if str(v).startswith("omega_household_")]
        errs += [relative(ds[h].values, at("omega_household")) for h in households]
        return max(errs)

    return error


ECONOMY_NAMES = {"rho_e": "rho", "rho_h": "r", "a_e": "a"}  # brusan_economy's -> brusan_log's


def brusan_ode(sol):
    """q and ψ against scipy's LSODA integration of the first-order ODE (tests/references.py),
    the larger of the two errors (ψ's is the larger near its kink at η*); brusan_economy's
    parameters and ψ under their names there."""
    p = {ECONOMY_NAMES.get(k, k): v for k, v in sol.params.items()}
    ref = BrusanLog(**{k: p[k] for k in BrusanLog.__dataclass_fields__}).solve()
    eta = np.linspace(0.01, 0.99, 981)
    ds = sol.evaluate(eta)
    psi = ds["psi" if "psi" in ds else "psi_expert"].values
    return max(relative(ds["q"].values, ref.q(eta)), relative(psi, ref.psi(eta)))


brusan_ode.accuracy = 1e-9  # the reference's own: at σ = 0.05 its ψ moves by 1.3e-10 between
# rtol 1e-12 and 1e-13 (the event that locates η* moves by 2.3e-11; ψ is steep below it)


def trees_quadrature(sol):
    """v(s, y) (two_trees, log) or pd_tree1·s (two_trees_economy) against the quadrature."""
    p, s = sol.params, np.linspace(0.02, 0.98, 13)
    trees = {k: p[k] for k in ("rho", "mu1", "mu2", "sigma1", "sigma2")}
    ref = np.array([two_trees_v(x, gamma=p.get("gamma", 1.0), **trees) for x in s])
    if "v" in sol.fields:
        return relative(sol.evaluate(np.stack([s, np.full_like(s, 1.3)], -1))["v"].values, ref)
    ds = sol.evaluate(s)
    return relative((ds["pd_tree1"] * s).values, ref)


def bold_lucas(sol):
    """risk_sharing at η = 1: the Lucas economy of the bold agent (pd)."""
    p = sol.params
    at = sol.evaluate({"eta_bold": np.array([1.0])})
    ref = lucas_pd(p["rho"], p["gamma_bold"], p["mu_y"], p["sigma_y"])
    return abs(float(at["pd"][0]) / ref - 1)


def higher_collocation(load):
    """Against a collocation solve of the model `load` gives at a higher degree (a half more) and
    a tenfold lower cut than the collocation solve's own (for a neural solve: than collocation's
    with defaults): every unknown with states at results points."""

    def error(sol):
        own = sol if "degree" in sol.dataset else walras.solve(load(), method="collocation")
        degree, edge = int(own.dataset["degree"]), own.settings.edge
        again = walras.solve(
            load(),
            method="collocation",
            degree=degree + degree // 2,
            edge=edge / 10 if edge else 0.0,
            quiet=True,
        )
        x = interior(sol)
        a, b = sol.evaluate(x), again.evaluate(x)
        names = [u.name for u in sol.compiled.model.unknowns]
        return max(relative(a[u].values, b[u].values) for u in names if a[u].ndim)

    return error


GROWTH = {"gamma": 5, "alpha": 0.3, "A": 1, "delta": 0.1, "rho": 0.05}  # growth.econ's own


def growth_arm(change):
    """growth's unknown V against the stable arm from the Euler equation (scipy) on [1, 5]
    (consumption, an output from V', is checked in tests/test_controls.py)."""

    def error(sol):
        k = np.linspace(1, 5, 101)
        _, v = stable_arm(k, **{**GROWTH, **change})
        return relative(sol.evaluate({"k": k})["V"].values, v)

    error.accuracy = 1e-10  # the reference's own (DOP853 at rtol 1e-12 from 1e-6 off the steady
    # state): 1.2e-11 of max |V| from the closed form at the file's parameters, as the audit's
    # scipy references
    return error


def huggett_shooting(change):
    """huggett's c and v against the solution by ODEs in consumption
    (`huggett_reference.shooting`) on 4001 points of [a_min, a_max]."""

    def error(sol):
        return max(distances(sol, Huggett(**change)).values())

    error.accuracy = 1e-9  # the reference's own: it moves by 1e-10 at most on these rows when
    # its pieces leave their singular points elsewhere (tests/test_huggett.py)
    return error


def leland_truncated(sol):
    """The unknown E on the domain against the truncated problem's semi-analytic solution
    (tests/leland_reference.py; the default boundary is checked in tests/test_leland.py)."""
    ref = Leland(**{k: sol.params[k] for k in ("r", "mu", "sigma", "C", "tau")})
    delta = np.linspace(0.0, ref.top, 2001)[1:]  # at 0 a log coordinate gives NaN
    return relative(sol.evaluate({"delta": delta})["E"].values.ravel(), ref.equity(delta))


def wachter_riccati(sol):
    """pd where λ ≤ 0.3 (and above the solve's cut, where it has one) against the Riccati
    reference (tests/references.py)."""
    lam = np.linspace((getattr(sol, "cuts", None) or {}).get("lam", 0.0), 0.3, 31)
    pd = sol.evaluate({"c": np.array([1.0]), "lam": lam})["pd"].values.ravel()
    return relative(pd, wachter_pd(sol.params, lam))


wachter_riccati.accuracy = 1e-10  # the Riccati reference's own under refinement (docs/audit.md)


def lucas_of(p):
    return lucas_pd(
        p["rho"], p["gamma"], p.get("mu", p.get("mu_y")), p.get("sigma", p.get("sigma_y"))
    )


def matrix():
    """(name, model loader, error function, reference) for every model of the matrix."""
    rows = []
    for name in ("lucas", "lucas_economy"):
        vol = "sigma" if name == "lucas" else "sigma_y"
        for gamma, sigma in ((1, 0.05), (2, 0.05), (5, 0.05), (10, 0.05), (5, 0.025), (5, 0.1)):
            load = lambda n=name, g=gamma, s=sigma, v=vol: walras.load(n, gamma=g, **{v: s})
            rows.append((f"{name} γ={gamma} σ={sigma}", load, closed_pd(lucas_of), "closed form"))
    for gamma in (1, 2, 4, 8):  # γ = 10: no equilibrium (tests/test_robustness.py)
        load = lambda g=gamma: walras.load("lucas_disasters", gamma=g)
        rows.append((f"lucas_disasters γ={gamma}", load, closed_pd(disaster_pd), "closed form"))
    for name, pd_of in (
        ("regime_lucas", two_regimes),
        ("regime_lucas3", three_regimes),
        ("regime_disasters", regime_disasters_pd),
    ):
        rows.append((name, lambda n=name: walras.load(n), closed_pd(pd_of), "linear system"))
    for sigma in (0.05, 0.1):
        load = lambda s=sigma: walras.load("brusan_log", sigma=s)
        rows.append((f"brusan_log σ={sigma}", load, brusan_ode, "scipy ODE"))
        load = lambda s=sigma: walras.load("brusan_economy", sigma=s)
        rows.append((f"brusan_economy σ={sigma}", load, brusan_ode, "scipy ODE"))
    rows.append(("two_trees", lambda: walras.load("two_trees"), trees_quadrature, "quadrature"))
    for gamma in (1, 2, 5):
        load = lambda g=gamma: walras.load("two_trees_economy", gamma=g)
        rows.append((f"two_trees_economy γ={gamma}", load, trees_quadrature, "quadrature"))
    load = lambda: walras.load("risk_sharing")
    rows.append(("risk_sharing", load, bold_lucas, "Lucas economy at η = 1"))
    load = lambda: walras.load("leverage_cap")
    rows.append(("leverage_cap", load, higher_collocation(load), "collocation reference"))
    load = lambda: walras.load("basak_cuoco", gamma=1)
    error = closed_log((0.05, 0.05), ("expert", "household"))
    rows.append(("basak_cuoco γ=1", load, error, "closed form"))
    for gamma, ref in ((2, "bc_gamma2_ref.csv"), (5, "bc_gamma5_ref.csv")):
        load = lambda g=gamma: walras.load("basak_cuoco", gamma=g)
        rows.append((f"basak_cuoco γ={gamma}", load, finite_difference(ref), "two-agent reference"))
    for change in ({}, {"gamma": 2}, {"gamma": 10}, {"delta": 0.05}, {"gamma": 2, "rho": 0.01}):
        load = lambda c=change: walras.load("growth", **c)
        name = "growth " + (" ".join(f"{k}={v}" for k, v in change.items()) or "as in the file")
        rows.append((name, load, growth_arm(change), "Euler equation (scipy)"))
    for K in (2, 4, 10):  # solved as the two-agent economy (identical members collapsed)
        load = lambda k=K: walras.load(expert_households(k))
        name = f"expert + {K} identical households γ=2, bond only"
        rows.append((name, load, two_agent("bc_gamma2_ref.csv"), "two-agent reference"))
    load = lambda: walras.load("basak_cuoco", gamma=10)
    rows.append(("basak_cuoco γ=10", load, higher_collocation(load), "collocation reference"))
    for rho in ((0.05, 0.05), (0.03, 0.07), (0.02, 0.05, 0.08), (0.02, 0.035, 0.05, 0.065, 0.08)):
        load = lambda r=rho: walras.load(log_agents(r))
        rows.append((f"{len(rho)} log agents ρ={rho}", load, closed_log(rho), "closed form"))
    for rho in ((0.03, 0.07), (0.02, 0.05, 0.08)):
        load = lambda r=rho: walras.load(log_agents(r, "[bond]"))
        name = f"{len(rho)} log agents ρ={rho}, households bond only"
        rows.append((name, load, closed_log(rho), "closed form"))
    for change in ({}, {"sigma": 0.2}, {"sigma": 0.05}, {"r": 0.04}):
        name = " ".join(["leland"] + [f"{k}={v}" for k, v in change.items()])
        load = lambda c=change: walras.load("leland", **c)
        rows.append((name, load, leland_truncated, "semi-analytic"))
    for change in (
        {},
        {"gamma": 3},
        {"gamma": 5, "a_max": 6},
        {"gamma": 1.5, "rho": 0.04},
        {"z_lo": 0.15},
        {"r": 0.04, "a_max": 6},
        {"lam_lo": 0.5, "a_max": 6},
    ):  # γ = 5, r = 0.04 or λ_lo = 0.5 at a_max = 2: the high state saves at a_max, refused
        name = " ".join(["huggett"] + [f"{k}={v}" for k, v in change.items()])
        load = lambda c=change: walras.load("huggett", **c)
        rows.append((name, load, huggett_shooting(change), "ODEs in c"))
    for change in ({}, {"beta": 0.024}):  # σ = 0.04: tests/test_wachter.py (2.1e-10 from the
        # reference, beyond its estimate 1.2e-13 plus the reference's 1e-10: docs/robustness.md)
        name = " ".join(["wachter"] + [f"{k}={v}" for k, v in change.items()])
        load = lambda c=change: walras.load("wachter", **c)
        rows.append((name, load, wachter_riccati, "Riccati ODEs"))
    return rows


def main(argv):
    methods = [a for a in argv if a in ("collocation", "neural")] or ["collocation"]
    only = argv[argv.index("--only") + 1 :] if "--only" in argv else None
    print("| model | solver | converged | time (s) | estimated error | error | reference |")
    print("|---|---|---|---|---|---|---|")
    for name, load, error, reference in matrix():
        if only and not any(o == name for o in only):
            continue
        try:
            model = load()
        except walras.EconError as e:
            code = e.diagnostics[0].code
            print(f"| {name} | both | refused ({code}: no equilibrium) | | | | |", flush=True)
            continue
        for method in methods:
            t = time.perf_counter()
            sol = walras.solve(model, method=method, quiet=True)
            seconds = time.perf_counter() - t
            estimate = max(sol.errors.values(), default=float("nan"))
            print(
                f"| {name} | {method} | {'yes' if sol.converged else 'no'} | {seconds:.1f} | "
                f"{estimate:.1e} | {error(sol):.1e} | {reference} |",
                flush=True,
            )


if __name__ == "__main__":
    main(sys.argv[1:])
