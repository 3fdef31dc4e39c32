"""Agent arrays (`agent household[10]: ...`): the same economy as its members written out, the
closed forms of log agents, and located errors for bad sizes and indices."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import walras
from walras.grammar.diagnostics import EconError
from walras.grammar.unparse import unparse

jax.config.update("jax_enable_x64", True)

HEAD = """model arrays
parameter mu_y = 0.02, sigma_y = 0.05
shock Z
endowment y: drift = mu_y*y, vol[Z] = sigma_y*y
asset bond: riskless, supply = 0
asset stock: dividend = y, supply = 1
"""


def spread(n: int) -> str:
    """n log households with discount rates spread evenly from 0.02 to 0.08 by their index."""
    return HEAD + (
        f"agent household[i in 1:{n}]: utility = log, "
        f"discount = 0.02 + 0.06*(i - 1)/{n - 1}, trades = [bond, stock]\n"
    )


def rates(n: int) -> np.ndarray:
    return 0.02 + 0.06 * np.arange(n) / (n - 1)


def written_out(n: int) -> str:
    """The same economy, agent by agent (discount rates as numbers, computed here)."""
    return HEAD + "".join(
        f"agent household_{k}: utility = log, discount = {rho!r}, trades = [bond, stock]\n"
        for k, rho in enumerate(rates(n).tolist(), 1)
    )


def trial_fields(n: int) -> dict:
    """Smooth positive functions of the n − 1 wealth shares, not a solution."""
    c = np.cos(np.outer(np.arange(n), 1 + np.arange(n - 1)))
    return {
        f"omega_household_{i + 1}": (lambda x, i=i: 0.05 + 0.01 * i + 0.02 * jnp.sin(x @ c[i] + i))
        for i in range(n)
    }


@pytest.fixture(scope="module")
def ten():
    return walras.load(spread(10)).compile()


def test_ten_households_equal_the_economy_written_out(ten):
    """Residuals and outputs of the array agree with the written-out economy on trial fields
    (they differ only in how the discount rates are written: 0.02 + 0.06*(3 - 1)/9 or its
    value)."""
    n = 10
    a = ten
    b = walras.load(written_out(n)).compile()
    assert (
        [s.name for s in a.model.states]
        == [s.name for s in b.model.states]
        == list(f"eta_household_{k}" for k in range(1, n))
    )
    fields = trial_fields(n)
    x = jnp.asarray(np.random.default_rng(1).dirichlet(np.ones(n), 3)[:, : n - 1])
    params = {k: jnp.asarray(v) for k, v in a.params.items()}
    ra, rb = a.residuals(fields, params, x), b.residuals(fields, params, x)
    assert set(ra) == set(rb) == {f"euler_household_{k}" for k in range(1, n + 1)}
    for k in ra:
        np.testing.assert_allclose(ra[k], rb[k], rtol=1e-12, atol=1e-12, err_msg=k)
    oa, ob = a.outputs(fields, params, x), b.outputs(fields, params, x)
    for k in ("pd", "r", "sigma_R", "mu_eta_household_4", "theta_household_7"):
        np.testing.assert_allclose(oa[k], ob[k], rtol=1e-12, atol=1e-14, err_msg=k)


def test_an_array_without_index_and_a_constraint_on_its_name():
    """`household[3]` is three identical agents; a constraint on the array's name constrains
    every member, as three constraints written out would."""
    array = HEAD + (
        "agent expert: utility = log, discount = 0.05, trades = [bond, stock]\n"
        "agent household[3]: utility = log, discount = 0.04, trades = [bond, stock]\n"
        "constraint household: share(stock) <= 0.5\n"
    )
    out = HEAD + "agent expert: utility = log, discount = 0.05, trades = [bond, stock]\n"
    out += "".join(
        f"agent household_{k}: utility = log, discount = 0.04, trades = [bond, stock]\n"
        for k in (1, 2, 3)
    )
    out += "".join(f"constraint household_{k}: share(stock) <= 0.5\n" for k in (1, 2, 3))
    assert unparse(walras.load(array).lowered) == unparse(walras.load(out).lowered)


def test_log_households_are_the_closed_form_at_trial_points(ten):
    """ω_i = ρ_i solves every Euler equation, and pd = 1/Σ ρ_i η_i (ten households, their
    discount rates 0.02 to 0.08 from the index)."""
    n = 10
    compiled = ten
    rho = rates(n)
    fields = {f"omega_household_{k + 1}": (lambda x, r=r: r + 0 * x[0]) for k, r in enumerate(rho)}
    params = {k: jnp.asarray(v) for k, v in compiled.params.items()}
    x = jnp.asarray(np.random.default_rng(2).dirichlet(np.ones(n), 7)[:, : n - 1])
    for name, r in compiled.residuals(fields, params, x).items():
        np.testing.assert_allclose(r, 0, atol=1e-14, err_msg=name)
    eta = np.column_stack([x, 1 - x.sum(1)])
    out = compiled.outputs(fields, params, x)
    np.testing.assert_allclose(out["pd"], 1 / (eta @ rho), rtol=1e-13)


@pytest.mark.slow
def test_log_households_solve_to_the_closed_form_by_collocation():
    """Collocation from its own start finds ω_i = ρ_i and pd = 1/Σ ρ_i η_i on the simplex."""
    pytest.importorskip("walras.runtime.solvers.collocation")
    n = 3
    ds = walras.solve(walras.load(spread(n)), method="collocation", degree=4, grid=9).dataset
    rho = rates(n)
    e1, e2 = np.meshgrid(ds.eta_household_1, ds.eta_household_2, indexing="ij")
    inside = e1 + e2 <= 1  # the results are NaN beyond the simplex
    for k, r in enumerate(rho):
        np.testing.assert_allclose(ds[f"omega_household_{k + 1}"].values[inside], r, atol=1e-10)
    pd = 1 / (rho[0] * e1 + rho[1] * e2 + rho[2] * (1 - e1 - e2))
    np.testing.assert_allclose(ds.pd.values[inside], pd[inside], rtol=1e-10)


def error(text: str):
    with pytest.raises(EconError) as e:
        walras.load(text).lowered
    return e.value.diagnostics[0]


AGENT = "agent household{array}: utility = log, discount = {rho}, trades = [bond, stock]\n"


@pytest.mark.parametrize(
    "array, rho, code, words, caret",
    [
        ("[n]", "0.05", "E234", "whole numbers written out", "n"),
        ("[2.5]", "0.05", "E234", "whole numbers written out", "2.5"),
        ("[0]", "0.05", "E234", "would have 0 members", "[0]"),
        ("[i in 3:1]", "0.05", "E234", "would have -1 members", "[i in 3:1]"),
        ("[5000]", "0.05", "E234", "would have 5000 members", "[5000]"),
        ("[mu_y in 1:3]", "0.05*mu_y", "E235", "'mu_y' of agent array", "mu_y"),
    ],
)
def test_bad_arrays_are_located(array, rho, code, words, caret):
    text = HEAD + AGENT.format(array=array, rho=rho)
    d = error(text)
    assert d.code == code and words in d.message
    line = text.splitlines()[d.span.line - 1]
    assert line[d.span.column - 1 : d.span.end_column - 1] == caret


def test_a_member_declared_twice_is_reported():
    text = HEAD + AGENT.format(array="[2]", rho="0.05") + AGENT.format(array="_2", rho="0.04")
    d = error(text)
    assert d.code == "E218" and "'household_2'" in d.message
