"""The solver interface: the registry, settings grouped per solver behind flat keys, the one
edge-cut rule with each solver's policy."""

import dataclasses
import math
from types import SimpleNamespace

import pytest

import walras
from walras.api import LIBRARY
from walras.runtime.solvers import registry
from walras.runtime.solvers.base import EDGE, Outcome, Problem, worst_error
from walras.runtime.solvers.collocation import CollocationSettings, report
from walras.runtime.solvers.collocation.problem import EDGES as COLLOCATION_EDGES
from walras.runtime.solvers.neural import NeuralSettings
from walras.runtime.solvers.neural.rows import EDGES as NEURAL_EDGES
from walras.settings import FIELDS, Common, Settings


def test_settings_groups_share_one_flat_set_of_keys():
    groups = (Common, NeuralSettings, CollocationSettings)
    names = [f.name for g in groups for f in dataclasses.fields(g)]
    assert sorted(names) == sorted(FIELDS) and len(set(names)) == len(names)
    settings = Settings().replace(width=8, degree="16")
    assert (settings.width, settings.degree, settings.method) == (8, 16, "auto")
    assert dataclasses.asdict(settings)["width"] == 8


def test_solvers_are_found_by_name():
    assert set(registry.names()) == {"neural", "collocation"}
    with pytest.raises(walras.EconError) as info:
        registry.get("colocation")
    (d,) = info.value.diagnostics
    assert d.code == "E115" and d.hint == "did you mean 'collocation'?"
    with pytest.raises(walras.EconError) as info:
        walras.solve("lucas", method="colocation")
    assert info.value.diagnostics[0].hint == "did you mean 'collocation'?"


def _log_agents(n: int) -> str:
    agents = [
        f"agent a{i}: utility = log, discount = 0.0{i + 2}, trades = [bond, stock]"
        for i in range(n)
    ]
    return "\n".join(
        [
            "model m",
            "shock Z",
            "endowment y: drift = 0.02*y, vol[Z] = 0.05*y",
            "asset bond: riskless, supply = 0",
            "asset stock: dividend = y, supply = 1",
            *agents,
        ]
    )


def test_auto_is_collocation_for_few_continuous_states_and_neural_for_many():
    """Wealth shares of n agents are n − 1 states; a parameter solved over a range is one more,
    a discrete state is none; a solver statement or an explicit method wins."""
    cases = {
        "lucas": ("collocation", 1),
        "regime_lucas": ("collocation", 0),
        "two_trees": ("collocation", 2),
        _log_agents(5): ("collocation", 4),
        _log_agents(6): ("neural", 5),
    }
    for target, (method, n) in cases.items():
        chosen, why = walras.api.method_choice(walras.load(target))
        assert chosen.method == method and why.startswith(f"method {method}: {n} continuous"), why
    over = walras.load("lucas").solved_over(gamma=(2, 5), sigma=(0.05, 0.1))
    assert walras.api.method_choice(over)[1].startswith("method collocation: 3 continuous")
    more = walras.load(_log_agents(5) + "\nparameter s = 0.05").solved_over(s=(0.01, 0.03))
    assert walras.api.settings_for(more).method == "neural"
    assert walras.api.method_choice(walras.load("huggett"))[1] == (
        "method collocation: the model's solver statement"
    )
    assert walras.api.method_choice(walras.load("lucas"), method="neural")[1] == (
        "method neural: asked for"
    )
    why = walras.api.method_choice(walras.load("lucas"), steps=3, seed=1)[1]
    assert why.endswith("(steps: settings of another solver, unused; --method picks it)")


def test_one_edge_cut_rule_with_each_solvers_policy():
    """basak_cuoco: η_expert starts at 0 and ω > 0 depends on it; two_trees: s starts at 0 with
    no boundary condition there, but no unknown may diverge."""
    basak = Problem.build(walras.load("basak_cuoco").compile())
    assert basak.cut_edges(0.0, NEURAL_EDGES) == {"eta_expert": EDGE}
    assert basak.cut_edges(0.0, COLLOCATION_EDGES) == {}
    assert basak.cut_edges(1e-3, COLLOCATION_EDGES) == {"eta_expert": 1e-3}
    trees = Problem.build(walras.load("two_trees").compile())
    assert trees.cuttable and trees.cut_edges(0.0, NEURAL_EDGES) == {}
    assert trees.cut_edges(1e-3, COLLOCATION_EDGES) == {s: 1e-3 for s in trees.cuttable}


def test_a_cut_is_a_share_of_the_states_range():
    """A variance-like state on [0, 1.2e-3] is cut at 1e-4 of its range (1.2e-7), not at an
    absolute 1e-4 (8% of the range); the setting `edge` is a share of the range too."""
    text = (LIBRARY / "wachter.econ").read_text()
    text = text.replace("[0, 1]", "[0, 1.2e-3]").replace("lam = 1:", "lam = 1.2e-3:")
    problem = Problem.build(walras.load(text).compile())
    assert problem.cut_edges(0.0, NEURAL_EDGES) == {"lam": pytest.approx(EDGE * 1.2e-3)}
    assert problem.cut_edges(1e-3, COLLOCATION_EDGES) == {"lam": pytest.approx(1.2e-6)}
    with pytest.raises(ValueError, match="'edge' must be >= 0 and < 1"):
        Settings().replace(edge=1.5)


def test_an_outcome_carries_its_message():
    assert Outcome.CONVERGED.converged and not Outcome.INTERRUPTED.converged
    assert Outcome.NOT_CONVERGED.message == "not converged"


def test_an_estimate_that_failed_is_no_evidence_of_convergence():
    """A NaN estimate counts as infinite whatever its place (max() alone skips it when it
    comes second), in the collocation outcome as in the neural one."""
    nan = float("nan")
    assert worst_error({"a": 1e-6, "b": nan}) == ("b", math.inf)
    assert worst_error({"b": nan, "a": 1e-6}) == ("b", math.inf)
    assert worst_error({"a": 1e-6, "b": 3e-5}) == ("b", 3e-5)
    assert worst_error({}) == (None, 0.0)
    attempt = SimpleNamespace(solved=lambda settings: True, ev=SimpleNamespace(total=1e-12))
    settings = Settings()
    assert report.outcome(attempt, settings, {"a": 1e-6, "b": nan}) is Outcome.NOT_CONVERGED
    assert report.outcome(attempt, settings, {"a": 1e-6, "b": 1e-3}) is Outcome.NOT_CONVERGED
    assert report.outcome(attempt, settings, {"a": 1e-6}) is Outcome.CONVERGED
