"""The neural solver on agent arrays: one shared network for the members' unknowns (DeepSets
style), its permutation equivariance, and economies of log agents against their closed form
(ω_i = ρ_i, pd = 1/Σ ρ_i η_i)."""

import dataclasses

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import pytest

import walras
from walras.runtime.solvers.base import Problem
from walras.runtime.solvers.neural import rows as rows_module
from walras.runtime.solvers.neural.fields import compose, init_fields
from walras.runtime.solvers.neural.rows import Rows
from walras.runtime.solvers.neural.symmetric import Shared


def economy(households: int, trades: str = "bond") -> str:
    """An expert (ρ = 0.05) and an array of log households, discount rates 0.02 to 0.08."""
    return (
        "model arrays\n"
        "parameter mu_y = 0.02, sigma_y = 0.05\n"
        "shock Z\n"
        "endowment y: drift = mu_y*y, vol[Z] = sigma_y*y\n"
        "asset bond: riskless, supply = 0\n"
        "asset stock: dividend = y, supply = 1\n"
        "agent expert: utility = log, discount = 0.05, trades = [bond, stock]\n"
        f"agent household[i in 1:{households}]: utility = log, "
        f"discount = 0.02 + 0.06*(i - 1)/{households - 1}, trades = [{trades}]\n"
    )


def rates(households: int) -> np.ndarray:
    return np.r_[0.05, 0.02 + 0.06 * np.arange(households) / (households - 1)]


def closed_form_errors(solution, households: int, n: int, seed: int = 0):
    """Largest |ω_i − ρ_i| and relative error of pd at n uniform points of the simplex."""
    eta = np.random.default_rng(seed).dirichlet(np.ones(households + 1), n)
    ds = solution.evaluate(eta[:, :-1])
    names = ["expert"] + [f"household_{k}" for k in range(1, households + 1)]
    omega = np.column_stack([ds[f"omega_{a}"].values for a in names])
    rho = rates(households)
    return np.max(np.abs(omega - rho)), np.max(np.abs(ds.pd.values * (eta @ rho) - 1))


def test_the_compiler_names_the_array_members_their_shares_and_features():
    model = walras.load(economy(4)).checked
    (group,) = model.exchangeable
    assert group.name == "household"
    assert group.unknowns == tuple((f"omega_household_{k}",) for k in range(1, 5))
    assert group.shares == ("eta_household_1", "eta_household_2", "eta_household_3", None)
    np.testing.assert_allclose(np.ravel(group.features), rates(4)[1:], rtol=1e-15)


def test_a_shared_network_starts_as_each_members_guess():
    """Guessed at the closed form (ω_i = ρ_i, each member its own), with no Adam step and no
    polish, the shared network is each member's guess and the expert's network its own."""
    households = 3
    rho = rates(households)
    guesses = "".join(f"guess omega_household_{k} = {rho[k]}\n" for k in range(1, households + 1))
    model = walras.load(economy(households) + guesses + f"guess omega_expert = {rho[0]}\n")
    solution = walras.solve(model, method="neural", steps=0, polish=0)
    assert isinstance(solution.fields["omega_household_1"].shared, Shared)
    omega, pd = closed_form_errors(solution, households, 64)
    assert omega < 1e-14 and pd < 1e-12


@pytest.mark.slow
def test_shared_network_is_permutation_equivariant():
    """Members' shares and features permuted together permute the members' values (to 1e-12),
    at random weights; the expert keeps a network of its own."""
    households = 3
    compiled = walras.load(economy(households)).compile()
    problem = Problem.build(compiled)
    settings = walras.Settings(method="neural")
    rows = Rows(problem, settings)
    fields = init_fields(problem, settings, compiled.params, rows.cut, jax.random.PRNGKey(0))
    assert set(fields) == {"household:0", "omega_expert"}
    net = fields["household:0"]
    assert isinstance(net, Shared)
    arrays, static = eqx.partition(net, eqx.is_array)
    leaves, tree = jax.tree_util.tree_flatten(arrays)
    keys = jax.random.split(jax.random.PRNGKey(1), len(leaves))
    moved_leaves = [v + 0.5 * jax.random.normal(k, v.shape) for v, k in zip(leaves, keys)]
    net = eqx.combine(tree.unflatten(moved_leaves), static)
    eta = np.random.default_rng(0).dirichlet(np.ones(households + 1), 16)
    perm = np.array([2, 0, 1])  # household k takes the place of household perm[k]
    moved = eta.copy()
    moved[:, 1 + perm] = eta[:, 1:]
    features = [None] * households
    for k in range(households):
        features[perm[k]] = net.features[k]
    before = compose(problem, {**fields, "household:0": net})
    after = compose(
        problem, {**fields, "household:0": dataclasses.replace(net, features=tuple(features))}
    )
    values = []
    for k in range(households):
        a = jax.vmap(before[f"omega_household_{k + 1}"])(jnp.asarray(eta[:, :-1]))
        b = jax.vmap(after[f"omega_household_{perm[k] + 1}"])(jnp.asarray(moved[:, :-1]))
        np.testing.assert_allclose(a, b, rtol=0, atol=1e-12)
        values.append(np.asarray(a))
    assert np.std(values, 0).min() > 1e-3  # the members do differ: the check is not vacuous


def test_slices_through_the_centre_of_many_states():
    """Five log agents (four states): the slice along each share runs it from 0 to 1 with the
    other shares equal, and pd on it is the closed form 1/Σ ρ_i η_i of the constant ω_i = ρ_i."""
    from walras.runtime.results import Solution
    from walras.runtime.solvers.base import Outcome

    compiled = walras.load(economy(4)).compile()
    rho = rates(4)
    names = ["expert"] + [f"household_{k}" for k in range(1, 5)]
    fields = {f"omega_{a}": (lambda x, r=r: r + 0 * x[0]) for a, r in zip(names, rho)}
    solution = Solution(
        compiled, fields, compiled.params, walras.Settings(), np.zeros(0), Outcome.CONVERGED, {}
    )
    ds = solution.slices(9)
    assert ds.pd.dims == ("along", "position") and list(ds.along.values) == list(compiled.states)
    t = (np.arange(9) + 0.5) / 9
    for i, state in enumerate(compiled.states):  # the states are all shares but the last
        eta = np.repeat(((1 - t) / 4)[:, None], 5, 1)
        eta[:, i] = t
        np.testing.assert_allclose(ds[state].sel(along=state), t, rtol=1e-15)
        np.testing.assert_allclose(ds.pd.sel(along=state), 1 / (eta @ rho), rtol=1e-13)


class _Alone(eqx.Module):
    """A field as it is, without the `family` that lets one call serve an array's members."""

    field: eqx.Module

    def __call__(self, x):
        return self.field(x)

    def latent(self, x):
        return self.field.latent(x)


def _moved(problem, settings, cut):
    """The composed fields of `problem` at random weights."""
    fields = init_fields(problem, settings, problem.params, cut, jax.random.PRNGKey(0))
    arrays, static = eqx.partition(fields, eqx.is_array)
    leaves, tree = jax.tree_util.tree_flatten(arrays)
    keys = jax.random.split(jax.random.PRNGKey(1), len(leaves))
    moved = [v + 0.3 * jax.random.normal(k, v.shape) for v, k in zip(leaves, keys)]
    return compose(problem, eqx.combine(tree.unflatten(moved), static))


def test_members_in_one_call_match_member_by_member():
    """The members of a shared network evaluated in one call vmapped over the member (their
    residuals, with the derivatives the equations take) equal them evaluated member by member,
    to 1e-13, at random weights."""
    households = 2
    compiled = walras.load(economy(households)).compile()
    cut = {s: 1e-4 for s in compiled.states}  # the networks in the shares' logarithms
    together = _moved(Problem.build(compiled), walras.Settings(method="neural"), cut)
    alone = {u: _Alone(f) for u, f in together.items()}
    params = {k: jnp.float64(v) for k, v in compiled.params.items()}
    x = jnp.asarray(np.random.default_rng(0).dirichlet(np.ones(households + 1), 8)[:, :-1])
    a, b = (eqx.filter_jit(compiled.residuals)(f, params, x) for f in (together, alone))
    assert set(a) == set(compiled.equations)
    for name in a:
        np.testing.assert_allclose(a[name], b[name], rtol=1e-13, atol=1e-13)
    assert max(float(np.abs(v).max()) for v in a.values()) > 1e-3  # not vacuous


@pytest.mark.slow
def test_edge_rows_in_one_call_match_them_term_by_term(monkeypatch):
    """The rows at the cut edges, every term of every member in one call, equal c1·D z + c2·D² z
    written out term by term (D the derivative in the log of the cut state), to 1e-12."""
    problem = Problem.build(walras.load(economy(2)).compile())
    # the rows' scaling at the cuts plays no part here: not measured, to keep the test short
    monkeypatch.setattr(rows_module, "edge_powers", lambda problem, settings, cut, log, point: [])
    rows = Rows(problem, walras.Settings(method="neural", boundary_points=4))
    together = _moved(problem, rows.settings, rows.cut)

    @eqx.filter_jit
    def written(fields):
        out = []
        for u, k, i in rows.edge_terms:
            c1, c2 = rows.edge_coefficients[(u, k, i)]

            def term(xu, u=u, k=k, c1=c1, c2=c2):
                def g(s):
                    return fields[u].latent(xu.at[k].set(jnp.exp(s)))

                s = jnp.log(xu[k])
                return (c1 * jax.grad(g)(s) + c2 * jax.grad(jax.grad(g))(s)) / 2

            out.append(jax.vmap(term)(rows.edge_points[i][:, rows.args[u]]))
        return jnp.concatenate(out)

    edge = eqx.filter_jit(rows.edge_rows)(together)
    assert len(rows.edge_terms) == 3 * 2 and np.abs(edge).max() > 1e-3
    np.testing.assert_allclose(edge, written(together), rtol=1e-12, atol=1e-13)
