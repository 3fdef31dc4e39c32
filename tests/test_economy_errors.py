"""A user's mistake in an economy gives a located diagnostic, never a traceback."""

from __future__ import annotations

import re

import pytest
from references import lucas_pd

import walras
from walras.grammar.diagnostics import EconError
from walras.models import resolve

BASE = """model m
parameter gamma = 5, rho = 0.05, mu_y = 0.02, sigma_y = 0.05
shock Z
endowment y: drift = mu_y*y, vol[Z] = sigma_y*y
asset bond: riskless, supply = 0
asset stock: dividend = y, supply = 1
agent expert: utility = crra(gamma), discount = rho, trades = [bond, stock]
agent household: utility = crra(gamma), discount = rho, trades = [bond]
"""


def error(text: str):
    with pytest.raises(EconError) as e:
        walras.load(text).checked
    return e.value


def replaced(old: str, new: str) -> str:
    assert old in BASE
    return BASE.replace(old, new)


@pytest.mark.parametrize(
    "old, new, code, words, hint",
    [
        ("trades = [bond, stock]", "trades = [bond]", "E208", "cannot clear", "trades"),
        (
            "trades = [bond, stock]",
            "trades = [bond, stok]",
            "E204",
            "'stok'",
            "did you mean 'stock'",
        ),
        (
            "crra(gamma), discount = rho, trades = [bond, stock]",
            "crr(gamma), discount = rho, trades = [bond, stock]",
            "E205",
            "unknown utility 'crr'",
            "did you mean 'crra'",
        ),
        (
            "utility = crra(gamma), discount = rho, trades = [bond]",
            "utility = crra(gamma, 2), discount = rho, trades = [bond]",
            "E206",
            "takes 1 argument",
            "crra(gamma)",
        ),
        ("asset bond: riskless, supply = 0\n", "", "E204", "'bond'", "declare it"),
        ("drift = mu_y*y,", "drift = mu_y*y*(1 - y),", "E211", "not proportional", "state y in"),
        ("dividend = y", "dividend = y^2", "E215", "proportional", "dividend = y"),
        ("supply = 0", "supply = 1", "E202", "zero net supply", "supply = 0"),
        ("vol[Z] = sigma_y*y", "vol[W] = sigma_y*y", "E217", "undeclared shock", "shock W"),
        (", vol[Z] = sigma_y*y", "", "E211", "no volatility", "vol[Z]"),
        ("agent household", "agent expert", "E218", "declared twice", ""),
    ],
)
def test_mistakes(old, new, code, words, hint):
    err = error(replaced(old, new))
    d = next(d for d in err.diagnostics if d.code == code)
    assert words in d.message
    assert hint in (d.hint or "")
    assert d.span is not None and d.span.line > 0
    assert "<input>:" in str(err)


def test_missing_riskless_asset():
    text = (
        BASE.replace("asset bond: riskless, supply = 0\n", "")
        .replace("[bond, stock]", "[stock]")
        .replace("[bond]", "[stock]")
    )
    assert error(text).diagnostics[0].code == "E210"


def test_constraint_on_an_asset_the_agent_does_not_trade():
    err = error(BASE + "constraint household: share(stock) <= 2\n")
    d = err.diagnostics[0]
    assert d.code == "E209" and "does not trade 'stock'" in d.message and d.span.line == 9


def test_constraint_on_an_undeclared_agent_and_asset():
    err = error(
        BASE + "constraint expret: share(stock) <= 2\nconstraint expert: share(stokc) <= 2\n"
    )
    hints = [d.hint for d in err.diagnostics]
    assert "did you mean 'expert'?" in hints and "did you mean 'stock'?" in hints


def test_only_constrained_traders_cannot_price_risk():
    err = error(BASE + "constraint expert: share(stock) <= 2\n")
    assert err.diagnostics[0].code == "E212"


def test_a_name_the_layer_defines():
    err = error(BASE.replace("parameter gamma", "parameter r = 0.01, gamma"))
    d = err.diagnostics[0]
    assert d.code == "E213" and "'r'" in d.message


def test_a_state_declaration_sets_the_domain():
    model = walras.load(BASE + "state eta_expert in [0.1, 0.9]\n")
    state = model.checked.states[0]
    assert (state.name, state.lo, state.hi) == ("eta_expert", 0.1, 0.9)


def test_a_non_homogeneous_endowment_becomes_a_state():
    text = replaced("drift = mu_y*y,", "drift = mu_y*y*(2 - y),") + "state y in [0.5, 1.5]\n"
    model = walras.load(text)
    assert set(model.states) == {"eta_expert", "y"}
    model.compile()


TREES = """model m
parameter rho = 0.04, mu = 0.02, sigma = 0.03
shock Z1, Z2
endowment y1: drift = mu*y1, vol[Z1] = sigma*y1
endowment y2: drift = mu*y2, vol[Z2] = sigma*y2
asset bond: riskless, supply = 0
asset tree1: dividend = y1, supply = 1
asset tree2: dividend = y2, supply = 1
agent investor: utility = log, discount = rho, trades = [bond, tree1, tree2]
"""


@pytest.mark.parametrize(
    "old, new, code, words",
    [
        ("vol[Z2] = sigma*y2", "vol[Z1] = sigma*y2", "E203", "complete markets"),
        ("dividend = y2", "dividend = 2*y1", "E203", "both pay a dividend proportional to 'y1'"),
        ("dividend = y2", "dividend = y1 + y2", "E215", "proportional to one endowment"),
        (
            "asset tree2: dividend = y2, supply = 1\n",
            "",
            "E201",
            "no asset pays the endowment 'y2'",
        ),
        ("trades = [bond, tree1, tree2]", "trades = [bond, tree1]", "E219", "some of the assets"),
        ("trades = [bond, tree1, tree2]", "trades = [tree1, tree2]", "E219", "some of the assets"),
    ],
)
def test_several_trees_mistakes(old, new, code, words):
    assert old in TREES
    err = error(TREES.replace(old, new, 1))
    d = next(d for d in err.diagnostics if d.code == code)
    assert words in d.message and d.span is not None and d.span.line > 0


def test_a_constraint_with_several_trees_is_not_supported_yet():
    err = error(TREES + "constraint investor: share(tree1) <= 2\n")
    d = err.diagnostics[0]
    assert d.code == "E219" and d.span.line == 10


# --- values in range, checked with the final parameter values ---------------------------------


def located(err: EconError, code: str) -> tuple[int, int]:
    d = next(d for d in err.diagnostics if d.code == code)
    assert d.hint
    return d.span.line, d.span.column


@pytest.mark.parametrize(
    "old, new, code, line, value",
    [
        ("crra(gamma), discount = rho, trades = [bond, stock]",
         "crra(0), discount = rho, trades = [bond, stock]", "E220", 7, "0"),
        ("crra(gamma), discount = rho, trades = [bond, stock]",
         "crra(-1), discount = rho, trades = [bond, stock]", "E220", 7, "-1"),
        ("discount = rho, trades = [bond, stock]", "discount = -0.01, trades = [bond, stock]",
         "E221", 7, "-0.01"),
        ("dividend = y, supply = 1", "dividend = y, supply = 0", "E222", 6, "0"),
        ("dividend = y, supply = 1", "dividend = y, supply = -1", "E222", 6, "-1"),
        ("dividend = y, supply = 1", "dividend = y, supply = nan", "E225", 6, "nan"),
        ("sigma_y = 0.05", "sigma_y = 0", "E223", 4, "vol[Z]"),
        ("dividend = y, supply = 1", "dividend = -y, supply = 1", "E227", 6, "-y"),
        ("dividend = y, supply = 1", "dividend = (rho - 0.05)*y, supply = 1", "E227", 6, "(rho"),
    ],
)  # fmt: skip
def test_economy_values_out_of_range(old, new, code, line, value):
    """The error points at the value: its line, and its column in that line."""
    text = replaced(old, new)
    place = text.splitlines()[line - 1]
    column = place.rindex(value) + 1 if value != "vol[Z]" else place.index(value) + 1
    assert located(error(text), code) == (line, column)


def test_an_infinite_risk_aversion_is_not_a_finite_number():
    """A literal beyond the range of a double is refused before its range is checked (E172, on
    the agent's line: the lowered economy keeps the statement's place)."""
    old = "crra(gamma), discount = rho, trades = [bond, stock]"
    text = replaced(old, old.replace("crra(gamma)", "crra(1e400)"))
    assert located(error(text), "E172")[0] == 7


def test_an_infinite_volatility_of_a_second_tree_is_not_a_finite_number():
    """Found by the mutation test: a literal too large for a double in an endowment of a
    two-tree economy is E172 at its place, before the derivation reaches it."""
    text = resolve("two_trees_economy").read_text()
    text = text.replace("vol[Z2] = sigma2*y2", "vol[Z2] = 1e4002*y2")
    err = error(text)
    assert [d.code for d in err.diagnostics] == ["E172"]
    assert (
        err.diagnostics[0].span.line
        == text.splitlines().index(next(line for line in text.splitlines() if "1e4002" in line)) + 1
    )


@pytest.mark.parametrize(
    "name, params, code, statement",
    [
        ("basak_cuoco", dict(gamma=0.0), "E220", "agent expert"),
        ("basak_cuoco", dict(gamma=-1.0), "E220", "agent expert"),
        ("lucas_economy", dict(rho=-0.01), "E221", "agent investor"),
        ("lucas_economy", dict(sigma_y=0.0), "E223", "endowment y"),
        ("two_trees_economy", dict(sigma2=0.0), "E223", "endowment y2"),
        ("two_trees_economy", dict(gamma=1.0, rho=0.0), "E224", "agent investor"),
    ],
)
def test_parameters_set_later_are_checked_with_their_values(name, params, code, statement):
    with pytest.raises(EconError) as e:
        walras.load(name).with_params(**params)
    lines = resolve(name).read_text().splitlines()
    expected = next(i for i, t in enumerate(lines, 1) if t.startswith(statement))
    assert located(e.value, code)[0] == expected


def test_no_finite_price_for_the_lone_agent():
    """log utility with discount 0 consumes nothing: pd = 1/rho is infinite; with gamma = 0.5
    and fast growth the closed form 1/(rho + (gamma - 1)(mu - gamma sigma^2/2)) is negative."""
    params = dict(rho=0.05, gamma=0.5, mu=0.2, sigma=0.05)
    assert lucas_pd(**params) < 0
    for change in (dict(gamma=1.0, rho=0.0), dict(gamma=0.5, mu_y=0.2)):
        with pytest.raises(EconError) as e:
            walras.load("lucas_economy").with_params(**change)
        assert located(e.value, "E224")[0] == 16


def test_an_agent_who_cannot_price_alone_is_a_warning_with_others():
    model = walras.load("risk_sharing").with_params(rho=0.0, gamma_bold=1.0)
    (w,) = [w for w in model.warnings if w.code == "W221"]
    assert "'bold'" in w.message and w.span.line == 16


def test_a_bound_below_the_market_portfolio_is_a_warning():
    """Where the experts hold all the wealth they must hold the stock: a cap of 0.8 rules that
    out (W223, at the constraint), as a floor of 1.2 does, and a declared domain that reaches
    η = 1; a cap of 1, a floor of 0.5 or a domain below η = 1 does not warn."""
    model = walras.load("leverage_cap")
    (w,) = [w for w in model.with_params(cap=0.8).warnings if w.code == "W223"]
    assert "'expert'" in w.message and "0.8" in w.message and w.span.line == 21
    assert not [w for w in model.with_params(cap=1.0).warnings if w.code == "W223"]
    text = resolve("leverage_cap").read_text()
    floor = text.replace("share(stock) <= cap", "share(stock) >= cap")
    assert not [w for w in walras.load(floor).with_params(cap=0.5).warnings if w.code == "W223"]
    assert [w for w in walras.load(floor).with_params(cap=1.2).warnings if w.code == "W223"]
    for domain, warns in (("[0, 0.9]", False), ("[0.1, 1]", True)):
        declared = text.replace("shock Z", f"shock Z\nstate eta_expert in {domain}")
        found = [w for w in walras.load(declared).with_params(cap=0.8).warnings if w.code == "W223"]
        assert bool(found) == warns, domain


@pytest.mark.parametrize("domain", ["[0, 2]", "[-0.5, 1]"])
def test_a_wealth_share_lies_in_the_unit_interval(domain):
    err = error(BASE + f"state eta_expert in {domain}\n")
    assert located(err, "E226") == (9, 1)


def test_several_trees_must_span_the_shocks_with_their_values():
    """Risks (sigma, tau) and (tau, sigma) span two shocks unless tau = sigma."""
    text = TREES.replace("vol[Z1] = sigma*y1", "vol[Z1] = sigma*y1, vol[Z2] = tau*y1").replace(
        "vol[Z2] = sigma*y2", "vol[Z1] = tau*y2, vol[Z2] = sigma*y2"
    )
    model = walras.load(text + "parameter tau = 0.01\n")
    assert model.unknowns
    with pytest.raises(EconError) as e:
        model.with_params(tau=0.03)
    assert located(e.value, "E223")[0] == 8


NUMBER = re.compile(r"(?<![\w.])\d+\.?\d*(?:[eE][-+]?\d+)?")


@pytest.mark.parametrize("name", ["basak_cuoco", "leverage_cap", "lucas_economy", "risk_sharing"])
def test_mutated_library_economies_give_coded_errors(name):
    """Each number of an economy statement or parameter set to 0, -1, 1e400 in turn: the model
    checks and compiles, or a coded error says why; never another exception."""
    lines = resolve(name).read_text().splitlines()
    economy = ("parameter", "endowment", "asset", "agent", "constraint")
    for i, line in enumerate(lines):
        if not line.startswith(economy):
            continue
        code = line.split('"')[0]
        for m in NUMBER.finditer(code):
            for v in ("0", "-1", "1e400"):
                text = "\n".join(
                    [*lines[:i], line[: m.start()] + v + line[m.end() :], *lines[i + 1 :]]
                )
                try:
                    walras.load(text).compile()
                except EconError as e:
                    assert all(d.code[0] in "EW" for d in e.diagnostics)
