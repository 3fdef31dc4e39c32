"""The checks that catch what would crash or mislead later: unreadable files, folders named like
library models, non-finite numbers, reversed bounds, unknowns and equations that do not meet,
expressions nested too deeply, settings out of range, and edges that need a boundary condition
(Fichera's condition, W170), with a solve of such a model reported as not converged."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from references import lucas_pd
from typer.testing import CliRunner

import walras
from walras.api import LIBRARY, library
from walras.cli import app
from walras.grammar import EconError
from walras.settings import FIELDS, Settings

runner = CliRunner()
LUCAS = (LIBRARY / "lucas.econ").read_text()
UNBOUNDED_LUCAS = "".join(
    line for line in LUCAS.splitlines(keepends=True) if not line.startswith("boundary")
)


def cli(*args):
    return runner.invoke(app, [str(a) for a in args])


def diagnostics(text: str, **params) -> list:
    with pytest.raises(EconError) as info:
        walras.load(text, **params).compile()
    return list(info.value.diagnostics)


def codes(text: str, **params) -> list[tuple[str, int | None, int | None]]:
    return [
        (d.code, d.span.line if d.span else None, d.span.column if d.span else None)
        for d in diagnostics(text, **params)
    ]


# --- files -----------------------------------------------------------------------------------


def test_latin1_text_is_a_coded_error_at_the_first_bad_byte(tmp_path):
    path = tmp_path / "latin.econ"
    path.write_bytes('model m\nparameter a = 1 "café"\n'.encode("latin-1"))
    result = cli("check", path)
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert "error[E170]" in result.output and f"{path}:2:21" in result.output


def test_random_bytes_are_a_coded_error(tmp_path):
    path = tmp_path / "noise.econ"
    path.write_bytes(bytes([0x41, 0x0A, 0x42, 0xFF, 0xFE, 0x00, 0x80]))
    result = cli("compile", path)
    assert result.exit_code == 1 and f"error[E170]: '{path}' is not UTF-8" in result.output
    assert f"{path}:2:2" in result.output


def test_a_byte_order_mark_is_no_part_of_the_text(tmp_path):
    """Some editors start a UTF-8 file with U+FEFF: the model checks as without it, and places
    count from the first character after it."""
    path = tmp_path / "bom.econ"
    path.write_text("\ufeff" + LUCAS, encoding="utf-8")
    result = cli("check", path)
    assert result.exit_code == 0, result.output
    assert codes("\ufeff" + LUCAS.replace("unknown pd", "unknown pd pd")) == codes(
        LUCAS.replace("unknown pd", "unknown pd pd")
    )


def test_carets_stay_under_the_span_on_a_line_with_tabs():
    """A tab is shown as four spaces, and the carets move with it."""
    with pytest.raises(EconError) as info:
        walras.load("model m\n\tparameter a = 1, \tb = @\n").compile()
    shown = str(info.value).splitlines()
    line = next(i for i, s in enumerate(shown) if " | " in s and "parameter" in s)
    text, carets = shown[line].split(" | ", 1)[1], shown[line + 1].split(" | ", 1)[1]
    assert "\t" not in text and text[carets.index("^")] == "@"


def test_a_greek_letter_is_spelled_out():
    (d,) = diagnostics(LUCAS.replace("parameter gamma", "parameter γ"))
    assert d.code == "E002" and "write 'gamma' for 'γ'" in d.hint


def test_plotting_a_missing_or_foreign_file_says_why(tmp_path):
    result = cli("plot", tmp_path / "none.nc")
    assert result.exit_code == 1 and "error[E133]" in result.output
    assert "no such file" in result.output and "Traceback" not in result.output
    model = tmp_path / "lucas.econ"
    model.write_text(LUCAS)
    result = cli("plot", model)
    assert result.exit_code == 1 and "it is not a NetCDF file" in result.output


def test_a_definition_of_parameters_without_a_real_value_is_an_error_at_its_place():
    """Wachter's value has no real root at γ = 6 (the HJB's quadratic: a negative discriminant),
    so every residual would be NaN: the check says where and why, before any solve."""
    (d,) = diagnostics((LIBRARY / "wachter.econ").read_text(), gamma=6)
    beta, kappa, sigma_l, b, gamma = 0.012, 0.08, 0.067, 0.25, 6
    discriminant = (beta + kappa) ** 2 - 2 * sigma_l**2 * ((1 - b) ** (1 - gamma) - 1)
    assert d.code == "E120" and d.message.startswith("'b_v' at these parameter values")
    assert f"sqrt({discriminant:.4g}) has no real value" in d.message
    assert (d.span.line, d.span.column) == (27, 27)
    assert walras.load("wachter", gamma=3).compile()
    result = cli("check", "wachter", "--set", "gamma=6")
    assert result.exit_code == 1 and "error[E120]: 'b_v'" in result.output


GROWTH_CAPPED = """model growth_capped
parameter A = 0.5, alpha = 0.3, delta = 0.05, rho = 0.05, gamma = 2
state k in [0.2, 8]
control c in [0, A*k^alpha]
unknown V(k)
process k: drift = A*k^alpha - delta*k - c
equation hjb: rho*V = max(c): c^(1 - gamma)/(1 - gamma) + drift(V)
"""


def test_a_bound_that_depends_on_a_state_is_one_error_not_also_no_room():
    """A control's (or unknown's) bound of a state: E120 at the bound, and not E164/E173's
    "[0, nan] ... write the lower bound first" besides (a new user's cap c <= output)."""
    assert codes(GROWTH_CAPPED) == [("E120", 4, 20)]  # at the state k
    unknown = GROWTH_CAPPED.replace("unknown V(k)", "unknown V(k) in [-1e9, k]")
    assert [c for c, _, _ in codes(unknown)] == ["E120", "E120"]


def test_check_and_compile_take_overrides():
    assert cli("check", "lucas", "--set", "gamma=2").exit_code == 0
    result = cli("check", "lucas", "--set", "gama=2")
    assert result.exit_code == 1 and "E121" in result.output and "'gamma'" in result.output
    result = cli("compile", "lucas", "--set", "gamma=2", "--emit", "econ")
    assert result.exit_code == 0 and walras.load(result.output).checked.params["gamma"] == 2


def test_a_folder_named_like_a_library_model_does_not_hide_it(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    for name in ("lucas", "ff3"):
        (tmp_path / name).mkdir()
    assert cli("check", "lucas").exit_code == 0
    assert walras.load("lucas").name == "lucas"
    from walras.runtime.factors.api import load_specs

    assert list(load_specs("ff3"))  # the bundled factor models, not the folder


@pytest.mark.parametrize("target", ["./lucas/", "./lucas", "folder/"])
def test_a_folder_given_as_a_path_is_a_coded_error(tmp_path, monkeypatch, target):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "lucas").mkdir()
    (tmp_path / "folder").mkdir()
    result = cli("check", target)
    assert result.exit_code == 1 and "error[E171]" in result.output
    assert "is a folder, not a model file" in result.output


# --- unknowns and equations ------------------------------------------------------------------


def test_a_file_with_only_a_model_statement_has_no_unknowns():
    assert codes("model x\n") == [("E174", 1, 1)]
    no_equations = "model x\nstate y in [0, 1]\nshock Z\nprocess y: vol[Z] = y\nunknown f(y)\n"
    assert [c for c, *_ in codes(no_equations)] == ["E107"]


def test_only_a_model_statement_through_the_command_line(tmp_path):
    path = tmp_path / "x.econ"
    path.write_text("model x\n")
    result = cli("check", path)
    assert result.exit_code == 1 and "error[E174]: model 'x' has no unknowns" in result.output


def test_an_unknown_in_no_equation_and_an_equation_without_unknowns():
    text = LUCAS.replace("unknown pd(y) > 0", "unknown pd(y) > 0\nunknown spare(y)").replace(
        "boundary at y = 0.5", "equation rates: rho = 0.05\nboundary at y = 0.5"
    )
    found = codes(text)
    assert ("E175", 14, 1) in found and ("E176", 25, 1) in found


# --- numbers ---------------------------------------------------------------------------------


@pytest.mark.parametrize("value", ["1e400", "1e200*1e200"])
def test_non_finite_parameters_written_in_the_file(value):
    model = LUCAS.replace("parameter rho = 0.05", f"parameter big = {value}\nparameter rho = 0.05")
    assert ("E172", 5, 17) in codes(model)


def test_a_non_finite_number_in_an_equation():
    found = codes(LUCAS.replace("mu_q + 1/pd - r", "mu_q + 1e999/pd - r"))
    assert [c for c, *_ in found] == ["E172"] and found[0][1] == 21


@pytest.mark.parametrize("value", ["nan", "inf", "1e400", "-inf"])
def test_non_finite_overrides_from_the_command_line(value):
    result = cli("solve", "lucas", "--set", f"gamma={value}", "-q")
    assert result.exit_code == 1 and "error[E172]: parameter 'gamma'" in result.output


def test_non_finite_overrides_from_python():
    with pytest.raises(EconError) as info:
        walras.load("lucas").with_params(gamma=float("nan"))
    assert [d.code for d in info.value.diagnostics] == ["E172"]


def test_reversed_bounds_of_an_unknown():
    assert codes(LUCAS.replace("unknown pd(y) > 0", "unknown pd(y) in [100, 1]")) == [
        ("E173", 13, 19)
    ]


def test_reversed_domain_of_a_state():
    assert codes(LUCAS.replace("state y in [0.5, 2.0]", "state y in [2, 1]"))[0][0] == "E122"


# --- expressions -----------------------------------------------------------------------------


def _with_definition(expr: str) -> str:
    return LUCAS.replace(
        "equation stock_euler: mu_q + 1/pd - r",
        f"let big = {expr}\nequation stock_euler: mu_q + 1/pd - r + 1e-300*big",
    )


@pytest.mark.parametrize(
    "expr",
    [
        " + ".join(f"{i}*y" for i in range(1000)),  # a sum of 1,000 terms
        "pd" + "*(y" * 2000 + ")" * 2000,  # 2,000 nested products
        "(" * 2000 + "pd" + "*y)" * 2000,
    ],
)
def test_long_sums_and_nested_products_check_and_compile(expr):
    model = walras.load(_with_definition(expr))
    assert model.emit("latex") and model.emit("sympy")


def test_deeply_alternating_expressions_are_a_coded_error():
    nested = "pd" + "*(1 + y" * 150 + ")" * 150
    (d,) = diagnostics(_with_definition(nested))
    assert (d.code, d.span.line) == ("E177", 21)
    # 150 products each holding a sum: 300 alternations from the outer product to a leaf
    assert d.message == "this expression nests 300 levels deep; walras handles at most 200"


# --- settings --------------------------------------------------------------------------------


def test_every_numeric_setting_has_a_range():
    for name, f in FIELDS.items():
        if not isinstance(f.default, str):
            assert {"min", "above"} & set(f.metadata), name


def test_a_degree_beyond_the_limit_is_refused_with_the_limit():
    result = cli("solve", "lucas", "--method", "collocation", "--degree", "100000", "-q")
    assert result.exit_code == 1
    assert "error[E115]: 'degree' must be between 1 and 1024, not 100000" in result.output


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("tol", 0, "'tol' must be > 0, not 0"),
        ("points", 0, "'points' must be between 1 and 1000000, not 0"),
        ("margin", 0.5, "'margin' must be >= 0 and < 0.5, not 0.5"),
        ("steps", float("nan"), "'steps' must be a whole number between 0 and 10000000"),
    ],
)
def test_settings_out_of_range(key, value, message):
    with pytest.raises(ValueError, match="^" + message.replace("(", r"\(")):
        Settings().replace(**{key: value})


def test_a_setting_out_of_range_in_the_file_is_placed():
    found = diagnostics(LUCAS + "solver tol = 0\n")
    assert [(d.code, d.span.line, d.message) for d in found] == [
        ("E115", 26, "'tol' must be > 0, not 0.0")
    ]


# --- edges -----------------------------------------------------------------------------------


def test_lucas_without_boundary_conditions_warns_at_both_edges():
    model = walras.load(UNBOUNDED_LUCAS)
    warnings = [(w.code, w.span.line, w.message) for w in model.warnings]
    assert warnings == [
        (
            "W170",
            9,
            "state 'y' has no boundary condition at its lower edge y = 0.5, where its "
            "volatility is not zero (0.025): the equations do not determine the solution there",
        ),
        (
            "W170",
            9,
            "state 'y' has no boundary condition at its upper edge y = 2, where its "
            "volatility is not zero (0.1): the equations do not determine the solution there",
        ),
    ]


def test_an_outward_drift_without_volatility_needs_a_condition():
    text = UNBOUNDED_LUCAS.replace("vol[Z] = sigma*y", "vol[Z] = sigma*y*(2 - y)*(y - 0.5)")
    (w,) = walras.load(text).warnings
    assert w.code == "W170" and "upper edge y = 2, where its drift points out" in w.message


CIR = """model cir
parameter kappa = 0.5, m = 0.02, s = 0.2
state x in [0, 1]
shock Z
process x: drift = kappa*(m - x), vol[Z] = s*sqrt(x)
unknown v(x)
equation e: 0.05*v = x + drift(v)
boundary at x = 1: d(v, x) = 0
"""


def test_an_inward_drift_with_an_outward_fichera_drift_needs_a_condition():
    # At x = 0: b = kappa*m = 0.01 (inward), d(s^2 x)/dx = s^2 = 0.04, b - s^2/2 = -0.01 (out).
    (w,) = walras.load(CIR).warnings
    assert w.code == "W170" and w.message == (
        "state 'x' has no boundary condition at its lower edge x = 0, where its Fichera drift "
        "b − ½ d(σ²)/dx points out of the domain (-0.01; the drift b is 0.01, inward, and "
        "d(σ²)/dx is 0.04): the equations do not determine the solution there"
    )


def test_a_feller_process_needs_no_condition_at_zero():
    # 2*kappa*m = 0.02 >= s^2 = 0.01: b - s^2/2 = 0.005 points inward.
    assert walras.load(CIR.replace("s = 0.2", "s = 0.1")).warnings == ()


def test_a_degenerate_edge_with_inward_drift_needs_no_condition():
    text = UNBOUNDED_LUCAS.replace(
        "drift = mu*y, vol[Z] = sigma*y", "drift = mu*(1.25 - y), vol[Z] = sigma*(y - 0.5)*(2 - y)"
    )
    assert walras.load(text).warnings == ()


@pytest.mark.parametrize("name", library())
def test_no_library_model_has_an_edge_without_its_condition(name):
    try:
        model = walras.load(name)
        model.checked  # noqa: B018
    except EconError:
        pytest.skip("a factor-model specification")
    assert [w for w in model.warnings if w.code == "W170"] == []


def test_an_undetermined_model_is_not_converged_and_lucas_is(tmp_path):
    path = tmp_path / "unbounded.econ"
    path.write_text(UNBOUNDED_LUCAS)
    result = cli("solve", path, "--method", "collocation", "--degree", "16", "-q")
    assert result.exit_code == 2
    assert "not converged: the model is not determined at an edge" in result.output
    assert "lower edge y = 0.5, where its volatility is not zero" in result.output

    solution = walras.solve("lucas", method="collocation", degree=16)
    assert solution.converged
    pd = solution.dataset["pd"].values
    assert abs(pd - lucas_pd()).max() < 1e-8


def test_a_converged_solution_of_an_undetermined_model_is_relabelled():
    from walras.runtime.solvers import not_determined
    from walras.runtime.solvers.base import Outcome

    @dataclasses.dataclass
    class Fake:
        outcome: Outcome = Outcome.CONVERGED
        message: str = "converged: degree 16"

        @property
        def converged(self):
            return self.outcome.converged

    relabelled = not_determined(walras.load(UNBOUNDED_LUCAS), Fake())
    assert relabelled.outcome is Outcome.NOT_CONVERGED
    assert relabelled.message.startswith("not converged: the model is not determined")
    assert relabelled.message.endswith("(converged: degree 16)")
    assert not_determined(walras.load("lucas"), Fake()).outcome is Outcome.CONVERGED


def _on_simplex(shares: int, other: bool):
    """A solved economy as the drift check after a solve reads it (`inward._outward`): `shares`
    wealth shares on a simplex and, with `other`, a state y outside it."""
    from types import SimpleNamespace as Namespace

    names = [f"eta_{k}" for k in range(shares)] + (["y"] if other else [])
    states = [
        Namespace(name=n, lo=0.5 if n == "y" else 0.0, hi=2.0 if n == "y" else 1.0) for n in names
    ]
    for s in states:
        s.discrete, s.values = False, None
    model = Namespace(
        states=states, simplices=[tuple(names[:shares])], boundaries=[], parametric=set()
    )
    compiled = Namespace(outline=Namespace(along=tuple(names)), states=tuple(names), model=model)
    return Namespace(compiled=compiled, params={"a": 1.0}), model


@pytest.mark.parametrize("shares", [3, 10])
def test_the_drift_check_after_a_solve_takes_points_on_a_simplex_of_many_shares(
    shares, monkeypatch
):
    """The check that no drift points out of the domain at an edge without a condition reads
    the drift on a grid of the states, kept on the simplex. With seven shares or more no point
    of that grid was on it, and the check failed (a NumPy error after the eleven log agents'
    ten minutes of solving); now its points are drawn on the simplex, every share at least a
    tenth of an equal one. Where every continuous state is on the simplex there is nothing to
    check, and the drift is not computed."""
    from walras.runtime.solvers import inward

    seen = []

    def drift(solution, params, x, face=None):
        seen.append(x)
        return np.zeros_like(x)

    monkeypatch.setattr(inward, "_drift", drift)
    assert inward._outward(*_on_simplex(shares, other=False)) == [] and seen == []
    assert inward._outward(*_on_simplex(shares, other=True)) == []
    x = seen[0]
    assert len(seen) == 3 and x.shape[1] == shares + 1 and len(x) > 0  # y's edges, and the scale
    on = x[:, :shares]
    assert np.all(on.sum(axis=1) <= 1)
    if shares >= 7:  # drawn: every share, the implicit last one too, off the faces
        floor = 0.1 / (shares + 1) - 1e-15
        assert np.all(on >= floor) and np.all(1 - on.sum(axis=1) >= floor)
