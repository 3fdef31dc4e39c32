"""Identical members of an agent array solved as one agent and mapped back (`compiler.collapse`,
`runtime.solvers.collapse`), against the closed form of log agents: an expert and K identical
log households, bond only, with unequal discount rates, have ω_i = ρ_i and pd = 1/Σ ρ_i η_i at
every point of the simplex, whatever the split of the households' wealth. The fast tests map
the reduced economy's closed form back (the solve of the reduced economy is collocation's own,
13 s of compilation: the slow test runs it)."""

from __future__ import annotations

import numpy as np
import pytest
import xarray as xr

import walras
from walras.compiler import collapse
from walras.grammar import ast
from walras.runtime import solvers
from walras.runtime.results import Solution
from walras.runtime.solvers.base import Outcome
from walras.runtime.solvers.collapse import Back, mapped

K = 3
RHO_E, RHO_H = 0.03, 0.07


def households(member: str = f"household[{K}]", discount: str = "rho_h", extra: str = "") -> str:
    """An expert (stock and bond) and an array of log households (bond only)."""
    return (
        f"model log_households\nparameter rho_e = {RHO_E}, rho_h = {RHO_H}\n"
        "parameter mu_y = 0.02, sigma_y = 0.05\nshock Z\n"
        "endowment y: drift = mu_y*y, vol[Z] = sigma_y*y\nasset bond: riskless, supply = 0\n"
        "asset stock: dividend = y, supply = 1\n"
        "agent expert: utility = log, discount = rho_e, trades = [bond, stock]\n"
        f"agent {member}: utility = log, discount = {discount}, trades = [bond]\n{extra}"
    )


def closed_form(compiled, settings) -> Solution:
    """The two-agent economy's closed form (ω = ρ) as a solution of `compiled`."""
    assert len(compiled.unknowns) == 2 and "omega_expert" in compiled.unknowns
    omega = {u: RHO_E if u == "omega_expert" else RHO_H for u in compiled.unknowns}
    return Solution(
        compiled,
        {u: (lambda x, v=v: v + 0 * x[0]) for u, v in omega.items()},
        compiled.params,
        settings,
        np.zeros(0),
        Outcome.CONVERGED,
        {},
        "converged",
        {"edge_change_omega_expert": xr.DataArray(np.zeros(3), dims=["eta_expert"])},
        errors=dict.fromkeys(omega, 1e-16),
    )


def assert_closed_form(solution: Solution, tol: float):
    """Every member's ω, the expert's and pd at random points of the full simplex (the split
    at random, every share ≥ 1%) against the closed form; the residuals reported are the full
    model's, the estimates named by its unknowns."""
    x = np.random.default_rng(1).dirichlet(np.ones(K + 1), 800)
    x = x[(x >= 0.01).all(axis=1)][:200, :K]
    ds = solution.evaluate(x)
    np.testing.assert_allclose(ds["omega_expert"], RHO_E, atol=tol)
    for k in range(1, K + 1):
        np.testing.assert_allclose(ds[f"omega_household_{k}"], RHO_H, atol=tol)
    eta_e = x[:, 0]
    np.testing.assert_allclose(ds["pd"], 1 / (RHO_E * eta_e + RHO_H * (1 - eta_e)), rtol=tol)
    members = {f"euler_household_{k}" for k in range(1, K + 1)}
    assert set(solution.validation) == {"euler_expert"} | members
    assert max(solution.validation.values()) < 1e-20  # rounding: the closed form solves them
    assert set(solution.errors) == {u.name for u in solution.compiled.model.unknowns}


def test_identical_members_are_solved_once_and_mapped_back_to_every_member(monkeypatch):
    """`walras.solve` hands the solver the two-agent economy (one state, not three) and maps
    its answer back: every member's ω and pd are the closed form's at random splits."""
    model = walras.load(households())
    chosen, why = walras.api.method_choice(model)
    assert why.startswith("method collocation: 1 continuous state")
    assert walras.api.collapse_line(model, chosen) == (
        f"household[{K}]: {K} identical members solved as one agent"
    )
    solved = []

    def solve(compiled, settings, **_):
        solved.append(compiled.states)
        return closed_form(compiled, settings)

    monkeypatch.setattr(solvers, "solve", solve)
    solution = walras.solve(model)
    assert solved == [("eta_expert",)]
    assert solution.converged, solution.message
    assert solution.compiled.states == ("eta_expert", "eta_household_1", "eta_household_2")
    assert f"household[{K}]: {K} identical members solved as one agent" in solution.message
    assert_closed_form(solution, 1e-12)
    # the reduced solve's evidence on its own grid does not take the full model's state names
    assert solution.extra["edge_change_omega_expert"].dims == ("eta_expert_reduced",)
    assert list(solution.extra["residual_sup"].equation) == list(solution.validation)


def one_by_one(discounts=("rho_h",) * K, extra: str = "") -> str:
    """The economy of `households()` with the members declared one by one (household_1 ..)."""
    lines = households().splitlines()[:-1]
    lines += [
        f"agent household_{k}: utility = log, discount = {d}, trades = [bond]"
        for k, d in enumerate(discounts, 1)
    ]
    return "\n".join(lines) + f"\n{extra}"


def test_identical_agents_declared_one_by_one_are_solved_once(monkeypatch):
    """Agents that differ only in name are a group solved as one agent, as an array's members
    are; when every agent is in the group the reduced economy has no state (three identical
    log agents: ω = ρ, pd = 1/ρ, solved for real)."""
    model = walras.load(one_by_one())
    assert walras.api.collapse_line(model, walras.api.settings_for(model)) == (
        "household_1, household_2, household_3: 3 identical agents solved as one agent"
    )
    solved = []

    def solve(compiled, settings, **_):
        solved.append(compiled.states)
        return closed_form(compiled, settings)

    with monkeypatch.context() as patch:
        patch.setattr(solvers, "solve", solve)
        solution = walras.solve(model)
    assert solved == [("eta_expert",)]
    assert solution.converged, solution.message
    assert_closed_form(solution, 1e-12)

    alike = "\n".join(
        f"agent {a}: utility = log, discount = 0.04, trades = [bond, stock]" for a in "abc"
    )
    lines = households().splitlines()
    model = walras.load("\n".join(lines[:-2]) + f"\n{alike}\n")
    assert model.collapsed[0].states == ()
    solution = walras.solve(model, quiet=True)
    assert solution.converged, solution.message
    x = np.random.default_rng(3).dirichlet(np.ones(3), 50)[:, :2]
    ds = solution.evaluate(x)
    for a in "abc":
        np.testing.assert_allclose(ds[f"omega_{a}"], 0.04, rtol=1e-12)
    np.testing.assert_allclose(ds["pd"], 1 / 0.04, rtol=1e-12)


def test_an_array_declared_first_holds_the_sum_of_its_members_shares():
    """Households declared before the expert: the full model's states are the households'
    shares (the expert's the remainder), the reduced one's the array's total share, their sum."""
    text = households()
    lines = text.splitlines()
    model = walras.load("\n".join(lines[:-2] + [lines[-1], lines[-2]]) + "\n")
    reduced, back = model.collapsed
    assert model.states == ("eta_household_1", "eta_household_2", "eta_household_3")
    assert reduced.states == ("eta_household",)
    exact = closed_form(reduced.compile(), walras.api.settings_for(reduced))
    solution = mapped(model.compile(), exact, back)
    assert solution.converged, solution.message
    x = np.random.default_rng(2).dirichlet(np.ones(K + 1), 100)[:, :K]
    ds = solution.evaluate(x)
    eta_e = 1 - x.sum(axis=1)
    np.testing.assert_allclose(ds["pd"], 1 / (RHO_E * eta_e + RHO_H * (1 - eta_e)), rtol=1e-12)


def test_members_that_differ_or_are_singled_out_are_not_collapsed():
    """Discount rates spread by the index, a constraint on one member, a name that reads one
    member's share, agents declared one by one that differ: no collapse (an agent named
    elsewhere stays out of its group); the setting `collapse = "off"` turns it off."""
    for text in (
        households("household[i in 1:3]", "0.05 + 0.01*i"),
        households(extra="constraint household_2: share(bond) <= 2\n"),
        households(extra="let spread = eta_household_1 - eta_expert\n"),
        one_by_one(("0.06", "0.07", "0.08")),
    ):
        assert collapse.plan(walras.load(text).module) is None, text
    singled = one_by_one(extra="let spread = eta_household_1 - eta_expert\n")
    assert collapse.plan(walras.load(singled).module).groups == (("household_2", "household_3"),)
    model = walras.load(households())
    assert walras.api.collapse_line(model, walras.api.settings_for(model, collapse="off")) is None


def test_guesses_under_members_names_are_the_groups():
    """A `guess` for a member's unknown does not single the member out: the group (or array)
    still collapses and the first guess of its members is the group's; a guess whose
    expression reads one member's share does single it out."""
    guesses = "guess omega_household_2 = 0.07\nguess omega_household_3 = 0.08\n"
    found = collapse.plan(walras.load(one_by_one(extra=guesses)).module)
    assert found.groups == (("household_1", "household_2", "household_3"),)
    kept = [s for s in found.module.statements if isinstance(s, ast.GuessDecl)]
    assert [(g.unknown.id, g.expr.value) for g in kept] == [("omega_household_1", 0.07)]
    found = collapse.plan(walras.load(households(extra=guesses)).module)
    assert found.arrays == (("household", K),)
    kept = [s for s in found.module.statements if isinstance(s, ast.GuessDecl)]
    assert [g.unknown.id for g in kept] == ["omega_household"]
    reads = one_by_one(extra="guess omega_household_1 = 0.07 + eta_household_2\n")
    assert collapse.plan(walras.load(reads).module).groups == (("household_1", "household_3"),)


def test_a_collapse_that_is_not_exact_is_not_converged():
    """The two-agent closed form mapped onto households whose discount rates differ (0.06,
    0.07, 0.08) does not solve their equations: the check at random splits says so, with the
    full model's own residuals (household k's Euler equation is off by its ρ − 0.07)."""
    full = walras.load(households("household[i in 1:3]", "0.05 + 0.01*i"))
    reduced, back = walras.load(households()).collapsed
    exact = closed_form(reduced.compile(), walras.api.settings_for(reduced))
    wrong = mapped(full.compile(), exact, Back.of(full.checked, reduced.checked, back.plan))
    assert not wrong.converged
    assert "not interchangeable" in wrong.message
    assert wrong.validation["euler_household_2"] < 1e-20
    np.testing.assert_allclose(wrong.validation["euler_household_1"], 0.01**2, rtol=1e-10)


@pytest.mark.slow
def test_identical_log_households_by_collocation_are_the_closed_form():
    """The whole solve with defaults (collocation of the two-agent economy, 20 s of CPU)."""
    solution = walras.solve(walras.load(households()), quiet=True)
    assert solution.converged, solution.message
    assert_closed_form(solution, 1e-10)
