"""`Solution.evaluate`: every accepted form of points, the coded errors for the others, and the
rule outside the domain (NaN and a warning unless `extrapolate=True`)."""

import warnings

import equinox as eqx
import numpy as np
import pandas as pd
import pytest
from references import lucas_pd

import walras
from walras.grammar import EconError
from walras.runtime.points import ExtrapolationWarning
from walras.runtime.results import Solution
from walras.runtime.solvers.base import Outcome
from walras.settings import Settings


@pytest.fixture(scope="module")
def lucas():
    solution = walras.solve("lucas", method="collocation", degree=8)
    assert solution.converged, solution.message
    return solution


class Plane(eqx.Module):
    """A known function of (s, y), standing in for a solved unknown: v = s + 10 y."""

    def __call__(self, x):
        return x[0] + 10 * x[1]


@pytest.fixture(scope="module")
def two_states():
    """two_trees (states s in [0, 1], y in [0.5, 2]) with v(s, y) = s + 10 y."""
    model = walras.load("two_trees")
    return Solution(
        model.compile(), {"v": Plane()}, model.params, Settings(), np.zeros(0),
        Outcome.CONVERGED, {},
    )  # fmt: skip


def test_lucas_at_valid_points_in_every_form(lucas):
    """pd = 1/(rho + (gamma-1) mu - gamma (gamma-1) sigma²/2) wherever it is asked."""
    y = np.array([0.5, 0.8, 1.3, 2.0])  # the edges are inside
    exact = lucas_pd()
    forms = {
        "(n, 1)": lucas.evaluate(y[:, None]),
        "(n,)": lucas.evaluate(y),
        "list": lucas.evaluate(list(y)),
        "mapping": lucas.evaluate({"y": y}),
    }
    for form, ds in forms.items():
        np.testing.assert_allclose(ds["pd"].values, exact, rtol=1e-12, err_msg=form)
        np.testing.assert_allclose(ds["y"].values, y, rtol=0, err_msg=form)
        assert ds["inside"].values.all() and ds["inside"].attrs["role"] == "evidence"
    assert forms["(n,)"]["pd"].dims == ("point",) and forms["mapping"]["pd"].dims == ("y",)
    one = lucas.evaluate(1.1)
    assert one["pd"].shape == (1,) and float(one["pd"][0]) == pytest.approx(exact, rel=1e-12)


def test_several_states_one_point_and_mapping_order(two_states):
    s, y = np.array([0.1, 0.4, 0.9]), np.array([0.6, 1.7])
    point = two_states.evaluate(np.array([0.3, 1.5]))  # one point as (states,)
    assert point["v"].dims == ("point",) and float(point["v"][0]) == pytest.approx(15.3)
    grid = two_states.evaluate({"y": y, "s": s})  # the mapping's order does not matter
    assert grid["v"].dims == ("s", "y")
    np.testing.assert_allclose(grid["v"].values, s[:, None] + 10 * y[None, :], rtol=1e-14)
    rows = two_states.evaluate(np.stack([s, np.full(3, 1.0)], -1))
    np.testing.assert_allclose(rows["v"].values, s + 10, rtol=1e-14)
    table = two_states.evaluate(pd.DataFrame({"y": np.full(3, 1.0), "s": s}))  # columns by name
    np.testing.assert_allclose(table["v"].values, s + 10, rtol=1e-14)
    np.testing.assert_allclose(table["s"].values, s, rtol=0)


@pytest.mark.parametrize(
    "points, code, words",
    [
        (np.ones((3, 3)), "E155", "shape (3, 3) for a model of 2 states: expected (n, 2)"),
        (np.ones(3), "E155", "or (2,) for one point"),
        (np.ones((2, 2, 2)), "E155", "shape (2, 2, 2)"),
        (np.zeros((0, 2)), "E155", "shape (0, 2)"),
        ([["a", "b"]], "E155", "are not numbers"),
        (np.array([[0.5, np.nan], [0.2, np.inf]]), "E156", "2 values that are not finite"),
        ({"s": [0.5], "Y": [1.0]}, "E157", "'Y' is not a state; no values for state 'y'"),
        ({"s": [0.5]}, "E157", "no values for state 'y'"),
        ({"s": [[0.5]], "y": [1.0]}, "E155", "the values of 's' have shape (1, 1)"),
        (pd.DataFrame({"s": [0.5], "eta": [1.0]}), "E157", "'eta' is not a state"),
    ],
)
def test_bad_points_are_coded_errors(two_states, points, code, words):
    with pytest.raises(EconError) as e:
        two_states.evaluate(points)
    d = e.value.diagnostics[0]
    assert d.code == code and words in d.message
    assert d.notes == ("the model's states, in order: s in [0, 1], y in [0.5, 2]",)


def test_one_state_rejects_several_columns(lucas):
    with pytest.raises(EconError, match=r"E155.*shape \(2, 2\) for a model of 1 state"):
        lucas.evaluate(np.ones((2, 2)))


def test_outside_the_domain_is_nan_with_a_warning_unless_asked(two_states):
    x = np.array([[0.5, 1.0], [-0.2, 1.0], [0.5, 2.5], [1.0, 2.0]])
    with pytest.warns(ExtrapolationWarning) as caught:
        ds = two_states.evaluate(x)
    text = str(caught[0].message)
    assert "warning[W155]: 2 of 4 points outside the domain" in text
    assert "s from -0.2 to -0.2 (domain [0, 1])" in text and "y from 2.5 to 2.5" in text
    np.testing.assert_array_equal(ds["inside"].values, [True, False, False, True])
    np.testing.assert_allclose(ds["v"].values, [10.5, np.nan, np.nan, 21.0])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        raw = two_states.evaluate(x, extrapolate=True)
    np.testing.assert_allclose(raw["v"].values, x[:, 0] + 10 * x[:, 1])
    np.testing.assert_array_equal(raw["inside"].values, [True, False, False, True])


def test_dataset_is_unchanged_by_the_rule(lucas):
    assert "inside" not in lucas.dataset
    assert np.max(np.abs(lucas.dataset["pd"].values - lucas_pd())) < 1e-12 * lucas_pd()
