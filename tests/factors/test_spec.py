"""The factor-model language, its diagnostics, data sources and the command."""

import json

import numpy as np
import pandas as pd
import pytest
import xarray as xr

import walras.runtime.factors as F
from walras.cli.factors import data_notes, estimate_command
from walras.compiler.factors import factor_specs
from walras.grammar import EconError, parse

EXAMPLE = "/work/shared/examples/factor_models.econ"
FF = """factor_model m "test"
data "{path}" time = date
returns A, B, C minus rf
factors mkt
estimate time_series, fama_macbeth
"""


def specs(text):
    return factor_specs(parse(text, "t.econ"))


def errors(text):
    with pytest.raises(EconError) as e:
        specs(text)
    return e.value


def test_example_file_parses_into_three_specs():
    import pathlib

    if not pathlib.Path(EXAMPLE).exists():
        pytest.skip("shared example not present")
    s = factor_specs(parse(open(EXAMPLE).read(), EXAMPLE))
    assert list(s) == ["ff3", "ipca3", "neurif4"]
    assert s["ff3"].risk_free == "RF" and s["ff3"].estimator("gmm").options["lags"] == 6
    assert (
        s["ipca3"].lag == 1
        and s["ipca3"].latent == 3
        and s["ipca3"].estimator("als").options["tol"] == 1e-8
    )
    n = s["neurif4"]
    assert n.flags == ("temporal_attention",) and n.penalties["instrument"] == 1e-2
    assert n.split["valid"] == pd.Timestamp("2005-01-01") and n.loadings.options["heads"] == 4


def test_all_mistakes_reported_at_once_with_hints():
    e = errors("""factor_model m
data french
returns S1V1 minus RF
factors MktRF
estimate gmm(stpes = 2), fama_macbth
""")
    codes = [d.code for d in e.diagnostics]
    assert codes == ["F006", "F005"]
    assert e.diagnostics[0].hint == "did you mean 'steps'?"
    assert e.diagnostics[1].hint == "did you mean 'fama_macbeth'?"
    assert "t.econ:5:14" in str(e)


def test_missing_statements_and_wrong_estimator_kind():
    e = errors(
        "factor_model m\ndata french\nreturns S1V1\nfactors latent 2\nestimate fama_macbeth, als\n"
    )
    msgs = " ".join(d.message for d in e.diagnostics)
    assert (
        "needs observed factors" in msgs
        and "needs a panel" in msgs
        and "needs 'instruments'" in msgs
    )


def test_syntax_error_is_located():
    with pytest.raises(EconError) as e:
        parse("factor_model m\nreturns A,\nfactors f\n", "t.econ")
    assert e.value.diagnostics[0].code == "E001" and "t.econ:3:9" in str(e.value)


@pytest.fixture()
def wide(tmp_path):
    rng = np.random.default_rng(0)
    T = 60
    f = rng.normal(0.01, 0.04, T)
    df = pd.DataFrame(
        {"date": pd.date_range("2000-01-31", periods=T, freq="ME"), "mkt": f, "rf": 0.001}
    )
    for i, b in enumerate((0.8, 1.0, 1.3)):
        df["ABC"[i]] = 0.001 + b * f + rng.normal(0, 0.02, T) + 0.001
    return df


def _run(tmp_path, df, fmt="csv", text=FF):
    path = tmp_path / f"d.{fmt}"
    if fmt == "csv":
        df.to_csv(path, index=False)
    elif fmt == "parquet":
        df.to_parquet(path)
    else:
        df.set_index("date").to_xarray().to_netcdf(path, engine="h5netcdf")
    econ = tmp_path / "m.econ"
    econ.write_text(text.format(path=path.name))
    return F.estimate(econ)


@pytest.mark.parametrize("fmt", ["csv", "parquet", "nc"])
def test_file_formats_and_frames_agree(tmp_path, wide, fmt):
    ds = _run(tmp_path, wide, fmt)
    spec = F.load_specs(tmp_path / "m.econ")["m"]
    from_frame = F.estimate(spec, data=wide)
    from_xr = F.estimate(spec, data=wide.set_index("date").to_xarray())
    for other in (from_frame, from_xr):
        np.testing.assert_allclose(ds.beta.values, other.beta.values, rtol=1e-12)
    x = np.column_stack([np.ones(60), wide.mkt])
    b = np.linalg.lstsq(x, wide[list("ABC")].values - 0.001, rcond=None)[0]
    np.testing.assert_allclose(ds.beta.values[:, 0], b[1], rtol=1e-10)


def test_bad_data_messages_name_columns_and_dates(tmp_path, wide):
    bad = wide.rename(columns={"B": "BB"})
    with pytest.raises(EconError, match="column 'B' not in the data") as e:
        _run(tmp_path, bad)
    assert e.value.diagnostics[0].hint == "did you mean 'BB'?"
    bad = wide.astype({"C": object})
    bad.loc[5, "C"] = "1.2%"
    with pytest.raises(EconError, match="column 'C' has a non-numeric value '1.2%' at 2000-06-30"):
        _run(tmp_path, bad)
    bad = pd.concat([wide, wide.iloc[[3]]])
    with pytest.raises(EconError, match="1 duplicated date in 'date': 2000-04-30"):
        _run(tmp_path, bad)
    with pytest.raises(
        EconError, match="at least 5 periods; the data have 3 \\(2000-01-31 to 2000-03-31\\)"
    ):
        _run(tmp_path, wide.iloc[:3])


def test_misaligned_frames_are_reported(wide):
    spec = specs(FF.format(path="x.csv"))["m"]
    r = wide.set_index("date")[["A", "B", "C", "rf"]]
    f = wide.set_index("date")[["mkt"]].iloc[2:]
    with pytest.raises(EconError, match="2 only in 'returns' \\(2000-01-31, 2000-02-29\\)"):
        F.estimate(spec, data={"returns": r, "factors": f})
    ok = F.estimate(spec, data={"returns": r, "factors": wide.set_index("date")[["mkt"]]})
    assert ok.sizes["asset"] == 3


def test_command_prints_and_writes_netcdf(tmp_path, capsys):
    out = tmp_path / "ff3.nc"
    assert estimate_command("ff3", None, str(out)) == 0
    text = capsys.readouterr().out
    assert "GRS F = 5.754" in text and "fama_macbeth" in text
    back = xr.open_dataset(out, engine="h5netcdf")
    assert back.beta.shape == (9, 3) and not list(tmp_path.glob(".*tmp"))
    assert estimate_command("ff4", None, None) == 1
    assert "did you mean 'ff3'" in capsys.readouterr().err


def test_overrides_change_options():
    ds = F.estimate("ff3", gmm={"steps": 1})
    assert int(ds.gmm_steps) == 1
    with pytest.raises(EconError, match="has no option 'stpes'"):
        F.estimate("ff3", gmm={"stpes": 1})


def test_rows_with_missing_cells_are_dropped_and_said(tmp_path, wide, capsys):
    """Three rows with missing cells (in a return, the factor and the risk-free rate): the
    summary says so, and the estimates are those of linearmodels on the complete rows."""
    lm = pytest.importorskip("linearmodels.asset_pricing")
    holed = wide.copy()
    holed.loc[4, "B"] = np.nan
    holed.loc[17, "mkt"] = np.nan
    holed.loc[[17, 41], "rf"] = np.nan
    ds = _run(tmp_path, holed)
    assert ds.attrs["dropped_rows"] == 3 and ds.attrs["nobs"] == 57
    assert json.loads(ds.attrs["dropped_columns"]) == {"B": 1, "mkt": 1, "rf": 2}
    assert ds.attrs["dropped_dates"] == "2000-05-31, 2001-06-30, 2003-06-30"
    assert estimate_command(str(tmp_path / "m.econ"), None, None) == 0
    text = capsys.readouterr().out
    assert (
        "note: 3 of 60 rows dropped for missing values in B (1 row), mkt (1 row), rf (2 rows): "
        "2000-05-31, 2001-06-30, 2003-06-30. The estimates use the other 57 rows." in text
    )
    complete = wide.drop(index=[4, 17, 41])
    r, f = complete[list("ABC")].values - complete[["rf"]].values, complete[["mkt"]].values
    ts = lm.TradedFactorModel(r, f).fit()
    np.testing.assert_allclose(ds.beta.values, ts.betas.values, rtol=0, atol=1e-12)
    np.testing.assert_allclose(ds.alpha.values, ts.alphas.values, rtol=0, atol=1e-12)
    fm = lm.LinearFactorModel(r, f).fit()
    np.testing.assert_allclose(
        ds.risk_premium.sel({"method": "fama_macbeth"}).values, fm.risk_premia.values, rtol=1e-10
    )


def test_complete_data_print_no_note(tmp_path, wide, capsys):
    ds = _run(tmp_path, wide)
    assert "dropped_rows" not in ds.attrs
    assert estimate_command(str(tmp_path / "m.econ"), None, None) == 0
    assert "dropped" not in capsys.readouterr().out


def test_no_complete_row_is_a_coded_error(tmp_path, wide):
    holed = wide.copy()
    holed["C"] = np.nan
    holed.loc[2, "mkt"] = np.nan
    with pytest.raises(EconError) as e:
        _run(tmp_path, holed)
    d = e.value.diagnostics[0]
    assert d.code == "F106" and d.message == (
        "every one of the 60 rows has a missing value in a column the block uses: "
        "'C' in 60 rows, 'mkt' in 1 row"
    )


def test_split_of_observed_factors_is_refused():
    e = errors(FF.format(path="x.csv") + "split train < 2001-01\n")
    d = e.diagnostics[0]
    assert d.code == "F009" and "time_series, fama_macbeth use every period" in d.message
    assert "t.econ:6:1" in str(e)


def test_split_period_without_observed_cells_is_a_coded_error():
    """A panel whose returns stop in 2001: a test period from 2001 on holds dates but no data."""
    rng = np.random.default_rng(0)
    dates = pd.date_range("2000-01-31", periods=24, freq="ME")
    df = pd.DataFrame(
        [(i, d, rng.normal(), rng.normal(), rng.normal()) for d in dates for i in range(20)],
        columns=["id", "month", "ret", "c1", "c2"],
    )
    df.loc[df.month >= "2001-01-01", "ret"] = np.nan
    spec = specs(
        'factor_model p "p"\ndata panel "x.csv" entity = id, time = month\nreturns ret\n'
        "instruments c1, c2\nfactors latent 1\nloadings linear(instruments)\nestimate als\n"
        "split train < 2001-01\n"
    )["p"]
    with pytest.raises(EconError) as e:
        F.estimate(spec, data=df)
    assert e.value.diagnostics[0].code == "F109"
    assert "the test period of 'p' has no observed (entity, date) cell" in str(e.value)
    ok = F.estimate(spec, data=df.assign(ret=df.ret.fillna(0.1)))
    assert bool(ok.in_sample.values[:12].all()) and not ok.in_sample.values[12:].any()


@pytest.mark.parametrize(
    "change, factors, words",
    [
        ({"mkt": 0.01}, "mkt", "the factor 'mkt' is constant or a linear combination"),
        ({"m2": "mkt"}, "mkt, m2", "the factors 'mkt', 'm2' are constant or a linear"),
        ({"A": 0.002}, "mkt", "the return 'A' is constant or a linear combination of the factors"),
        ({"C": "A+B"}, "mkt", "the returns 'A', 'B', 'C' are constant or a linear combination"),
    ],
)
def test_dependent_columns_are_a_coded_error(tmp_path, wide, change, factors, words):
    """Betas that are not identified, or a singular residual covariance, instead of a
    LinAlgError or silent nonsense."""
    data = wide.assign(**{k: wide.eval(v) if isinstance(v, str) else v for k, v in change.items()})
    with pytest.raises(EconError) as e:
        _run(tmp_path, data, text=FF.replace("factors mkt", f"factors {factors}"))
    d = e.value.diagnostics[0]
    assert d.code == "E159" and words in d.message and d.span is not None


def test_data_of_the_wrong_kind_from_python(wide):
    spec = specs(FF.format(path="x.csv"))["m"]
    for data, words in [
        (123, "cannot read data of type int"),
        (wide.values, "cannot read data of type ndarray"),
        ({"returns": wide, "factors": 5}, "cannot read data['factors'] of type int"),
    ]:
        with pytest.raises(EconError) as e:
            F.estimate(spec, data=data)
        assert e.value.diagnostics[0].code == "F102" and words in str(e.value)


def test_panel_entities_of_mixed_kinds_are_ordered_by_their_text():
    rng = np.random.default_rng(1)
    dates = pd.date_range("2000-01-31", periods=12, freq="ME")
    ids = [3, "b", 1, "a", 2, "c"]
    df = pd.DataFrame(
        [(i, d, rng.normal(), rng.normal(), rng.normal()) for d in dates for i in ids],
        columns=["id", "month", "ret", "c1", "c2"],
    )
    spec = specs(
        'factor_model p "p"\ndata panel "x.csv" entity = id, time = month\nreturns ret\n'
        "instruments c1, c2\nfactors latent 1\nloadings linear(instruments)\nestimate als\n"
    )["p"]
    panel = F.data.load(spec, df)
    assert panel.entities == (1, 2, 3, "a", "b", "c") and panel.mask.all()


def test_panel_summary_says_how_many_cells_were_observed():
    ds = xr.Dataset(
        {"factors": (("time", "factor"), np.zeros((3, 1)))},
        coords={"time": pd.date_range("2000-01-31", periods=3, freq="ME"), "asset": [1, 2]},
        attrs={"observed_cells": 4},
    )
    assert data_notes(ds) == [
        "note: 4 of 6 (entity, date) cells observed; the others lack the return or a "
        "characteristic and are left out."
    ]
    assert data_notes(ds.assign_attrs(observed_cells=6)) == []
