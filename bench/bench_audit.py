"""The audit of the library: every model of walras/models (the factor models aside) with its
default parameters, solved by each solver with default settings, against the reference the
tests hold for it (closed forms, scipy, linear systems, finite differences; tests/references.py,
tests/huggett_reference.py). For each: the exit code `walras solve` would give (0 converged, 2
not), the time, the solver's own estimated error (the largest over unknowns, relative to each
unknown's largest size) and the error against the reference, measured the same way.

A solve that exits 0 further from the reference than FACTOR times its own estimate plus the
reference's own accuracy (rounding for closed forms) is a bug: the row is marked **yes** under
"beyond the estimate" and the script exits 1.

Run: python bench/bench_audit.py [collocation|neural|default ...] [--only NAME ...]
     [--neural KEY=VALUE ...] (neural settings for a smaller budget than the defaults)
Prints one Markdown row per model and solver (the table in docs/audit.md); the column "default"
says whether that solver is the one `walras solve NAME` runs without flags (the method "auto",
or the model's `solver` statement); `default` as a method runs that one only."""

from __future__ import annotations

import sys
import time
from functools import cache
from pathlib import Path

import numpy as np

import walras

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from bansal_yaron_reference import error as bansal_yaron_fd  # noqa: E402
from bench_robustness import (  # noqa: E402
    bold_lucas,
    brusan_ode,
    closed_pd,
    finite_difference,
    interior,
    lucas_of,
    relative,
    trees_quadrature,
)
from di_tella_reference import error as di_tella_fd  # noqa: E402
from garleanu_panageas_reference import NAMES as GP_NAMES  # noqa: E402
from garleanu_panageas_reference import reference as gp_reference  # noqa: E402
from he_krishnamurthy_reference import equity as hk_equity  # noqa: E402
from he_krishnamurthy_reference import reference as hk_reference  # noqa: E402
from huggett_reference import Huggett, distances  # noqa: E402
from leland_reference import Leland  # noqa: E402
from references import (  # noqa: E402
    disaster_pd,
    regime_disasters_pd,
    three_regimes,
    two_regimes,
    wachter_pd,
)

FACTOR = 10  # an error beyond this many times the estimate is a bug
# how far each kind of reference may be from the exact solution (relative): rounding for closed
# forms and linear systems; 1e-10 for scipy's integrations at tolerances of 1e-12 to 1e-13 (the
# Wachter reference moves by less than 1e-10 under refinement, tests/test_wachter.py); huggett's
# solution by ODEs in consumption 1e-9 (it moves by 1e-10 at most when its pieces leave their
# singular points elsewhere, tests/test_huggett.py); the finite-difference references as their
# refinement measured them: the basak_cuoco references 1e-11, bansal_yaron's Richardson pair 1e-7,
# garleanu_panageas and he_krishnamurthy 1e-8, di_tella's Richardson pair off the row ν = 0
# 2e-5 (tests/NAME_reference.py)
ROUNDING, SCIPY, HUGGETT, BASAK, BANSAL_YARON, GP, HK = 1e-12, 1e-10, 1e-9, 1e-11, 1e-7, 1e-8, 1e-8
DI_TELLA = 2e-5


def wachter_riccati(sol):
    """pd(λ) against the Riccati reference where λ ≤ 0.3 (above it the stationary distribution
    has mass e^-10 and the model's boundary condition at λ = 1 is not exact)."""
    lam = np.linspace(0.0, 0.3, 31)[1:]
    ref = wachter_pd(sol.params, lam)
    at = sol.evaluate({"c": np.array([1.0]), "lam": lam})  # pd does not depend on c
    return relative(at["pd"].values.ravel(), ref)


def log_pair(sol):
    """disasters_economy, two log agents: ω_i = ρ_i, pd = 1/Σ ρ_i η_i (η in [0.01, 0.99])."""
    p, eta = sol.params, np.linspace(0.01, 0.99, 99)
    rho = np.array([p["rho_patient"], p["rho_impatient"]])
    ds = sol.evaluate(eta)
    errs = [relative(ds["pd"].values, 1 / (rho[0] * eta + rho[1] * (1 - eta)))]
    errs += [
        relative(ds[f"omega_{a}"].values, np.full(eta.size, r))
        for a, r in zip(("patient", "impatient"), rho)
    ]
    return max(errs)


def household(state: str, value: str):
    """The error function of a household model with huggett's parameters: c and the value
    (named `value`) against the solution by ODEs in consumption (`huggett_reference.shooting`)
    on 4001 points of [a_min, a_max], the solution's state `state` (`x`: √(a − a_min), or a)."""

    def error(sol):
        return max(distances(sol, Huggett(), state, value).values())

    return error


def claimed(sol, x: np.ndarray) -> np.ndarray:
    """The points of a one-state model's `x` where its results claim values: from the cut its
    solver made at a zero edge (`Solution.cuts`; below it the results are NaN) up."""
    return x[x >= sol.cuts.get(sol.compiled.states[0], -np.inf)]


def garleanu_panageas_fd(sol):
    """The four unknowns against the extrapolated finite differences (pair 3200/6400) on the
    whole of [0, 1] and the layer at x = 0 (from the cut up, when the solver cut x = 0), each
    relative to its largest value."""
    x = np.unique(np.concatenate([np.linspace(0, 1, 1001), np.logspace(-7, -1, 200)]))
    x = claimed(sol, x)
    exact, found = gp_reference(sol.params, x), sol.evaluate(x)
    return max(relative(np.ravel(found[u].values), e) for u, e in zip(GP_NAMES, exact))


def he_krishnamurthy_fd(sol):
    """pS against the extrapolated finite differences (pair 400/800 per unit of log x) and the
    equity share theta against its closed form, on 1000 points of (0, 1] and 200 from the
    file's cut (1e-5) to 0.1, where the results claim values (`claimed`), each relative to its
    largest value."""
    x = np.unique(np.concatenate([np.linspace(0, 1, 1001)[1:], np.logspace(-5, -1, 200)]))
    x = claimed(sol, x)
    found = sol.evaluate(x)
    exact = {"pS": hk_reference(sol.params, x), "theta": hk_equity(sol.params, x)}
    return max(relative(np.ravel(found[u].values), e) for u, e in exact.items())


@cache
def leverage_reference():
    """leverage_cap by collocation at a higher degree (a half more) and a tenfold lower cut than
    its default solve reaches (there is no independent solution)."""
    first = walras.solve(walras.load("leverage_cap"), method="collocation", quiet=True)
    degree, edge = int(first.dataset["degree"]), first.settings.edge
    return walras.solve(
        walras.load("leverage_cap"),
        method="collocation",
        degree=degree + degree // 2,
        edge=edge / 10 if edge else 0.0,
        quiet=True,
    )


def leverage_collocation(sol):
    """Every unknown with states against `leverage_reference`, at interior results points."""
    x = interior(sol)
    a, b = sol.evaluate(x), leverage_reference().evaluate(x)
    names = [u.name for u in sol.compiled.model.unknowns]
    return max(relative(a[u].values, b[u].values) for u in names if a[u].ndim)


def leland_semi_analytic(sol):
    """E against the Euler-equation solution with δ* from the slope at the top edge (brentq),
    on the domain without δ = 0, relative to its largest value."""
    ref = Leland()
    delta = np.linspace(0.0, ref.top, 4001)[1:]
    return relative(np.ravel(sol.evaluate({"delta": delta})["E"].values), ref.equity(delta))


def library():
    """(model, error function, reference, its accuracy) for every library model with one."""
    return [
        ("lucas", closed_pd(lucas_of), "closed form", ROUNDING),
        ("lucas_economy", closed_pd(lucas_of), "closed form", ROUNDING),
        ("lucas_disasters", closed_pd(disaster_pd), "closed form", ROUNDING),
        ("regime_lucas", closed_pd(two_regimes), "linear system", ROUNDING),
        ("regime_lucas3", closed_pd(three_regimes), "linear system", ROUNDING),
        ("regime_disasters", closed_pd(regime_disasters_pd), "linear system", ROUNDING),
        ("disasters_economy", log_pair, "closed form", ROUNDING),
        ("brusan_log", brusan_ode, "scipy ODE", SCIPY),
        ("two_trees", trees_quadrature, "quadrature", SCIPY),
        ("two_trees_economy", trees_quadrature, "quadrature", SCIPY),
        ("risk_sharing", bold_lucas, "Lucas economy at η = 1", ROUNDING),
        ("wachter", wachter_riccati, "Riccati ODEs", SCIPY),
        ("huggett", household("x", "v"), "ODEs in c", HUGGETT),
        # on the whole domain: at the borrowing limit collocation maps a to its square root
        # (docs/models/consumption_saving.md)
        ("consumption_saving", household("a", "V"), "ODEs in c", HUGGETT),
        ("basak_cuoco", finite_difference("bc_gamma5_ref.csv"), "two-agent reference", BASAK),
        ("leverage_cap", leverage_collocation, "collocation reference", ROUNDING),
        ("bansal_yaron", bansal_yaron_fd, "finite differences", BANSAL_YARON),
        ("garleanu_panageas", garleanu_panageas_fd, "finite differences", GP),
        ("he_krishnamurthy", he_krishnamurthy_fd, "finite differences", HK),
        ("di_tella", di_tella_fd, "finite differences", DI_TELLA),
        ("leland", leland_semi_analytic, "semi-analytic", ROUNDING),
    ]


def audit(name, error, method, settings) -> tuple[int, float, float, float]:
    """Exit code, seconds, estimated error and error against the reference of one solve."""
    model = walras.load(name)
    t = time.perf_counter()
    sol = walras.solve(model, method=method, quiet=True, **settings)
    seconds = time.perf_counter() - t
    estimate = max(sol.errors.values(), default=float("nan"))
    return (0 if sol.converged else 2), seconds, estimate, error(sol)


def beyond(code: int, estimate: float, error: float, accuracy: float) -> bool:
    """Whether a solve exits 0 further from the reference than its estimate allows, given the
    reference's own `accuracy`."""
    return code == 0 and not error <= FACTOR * estimate + accuracy


def default_method(name: str) -> str:
    """The solver `walras solve NAME` runs without flags."""
    return walras.api.settings_for(walras.load(name)).method


def main(argv) -> int:
    methods = [a for a in argv if a in ("collocation", "neural", "default")]
    methods = methods or ["collocation", "neural"]
    only = argv[argv.index("--only") + 1 :] if "--only" in argv else None
    neural = {}
    if "--neural" in argv:
        for item in argv[argv.index("--neural") + 1 :]:
            if "=" not in item:
                break
            key, value = item.split("=", 1)
            neural[key] = float(value) if "." in value or "e" in value else int(value)
    print(
        "| model | solver | default | exit | time (s) | estimated error | error "
        "| beyond the estimate | reference |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    bugs = 0
    for name, error, reference, accuracy in library():
        if only and name not in only:
            continue
        default = default_method(name)
        for method in dict.fromkeys(default if m == "default" else m for m in methods):
            settings = neural if method == "neural" else {}
            code, seconds, estimate, err = audit(name, error, method, settings)
            bug = beyond(code, estimate, err, accuracy)
            bugs += bug
            print(
                f"| {name} | {method} | {'yes' if method == default else 'no'} | {code} | "
                f"{seconds:.1f} | {estimate:.1e} | {err:.1e} | "
                f"{'**yes**' if bug else 'no'} | {reference} |",
                flush=True,
            )
    return 1 if bugs else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
