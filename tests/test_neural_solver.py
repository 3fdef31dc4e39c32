"""The neural solver against closed forms and the ODE reference; checkpoints, resume, NaNs."""

import numpy as np
import pytest

import walras
from references import BrusanLog, lucas_pd
from walras.runtime import neural


@pytest.fixture(scope="module")
def lucas():
    return walras.solve("lucas", steps=400, polish=60)


def test_lucas_price_dividend_ratio_matches_closed_form(lucas):
    pd = lucas.dataset["pd"].values
    assert np.max(np.abs(pd / lucas_pd() - 1)) < 1e-5
    assert lucas.converged


def test_lucas_dataset_layout(lucas):
    ds = lucas.dataset
    assert ds["pd"].dims == ("y",)
    for name in ("q", "xi", "r", "sigma_q", "mu_q", "residual_stock_euler", "loss"):
        assert name in ds
    assert ds["loss"].dims == ("step",)
    assert ds.attrs["model"] == "lucas" and ds.attrs["seed"] == 0
    np.testing.assert_allclose(ds["sigma_q"].values, 0.05, rtol=1e-4)


def test_evaluate_at_points_and_params(lucas):
    ds = lucas.evaluate(np.array([[0.7], [1.3]]))
    np.testing.assert_allclose(ds["pd"].values, lucas_pd(), rtol=1e-5)


@pytest.fixture(scope="module")
def brusan():
    return walras.solve("brusan_log")


@pytest.fixture(scope="module")
def reference():
    return BrusanLog().solve()


def test_brusan_log_against_ode_reference(brusan, reference):
    eta = np.linspace(0.01, 0.99, 99)
    ds = brusan.evaluate(eta[:, None])
    # the floors are 1e-3 and 1e-2; its goals 1e-4 and 1e-3
    assert np.max(np.abs(ds["q"].values / reference.q(eta) - 1)) <= 1e-4
    assert np.max(np.abs(ds["psi"].values - reference.psi(eta))) <= 1e-3


def test_brusan_log_free_boundary(brusan, reference):
    eta = np.linspace(0.2, 0.5, 300001)
    psi = brusan.evaluate(eta[:, None])["psi"].values
    eta_star = eta[np.argmax(psi >= 1.0)]
    assert abs(eta_star - reference.eta_star) <= 1e-3  # the floor: 0.005


def test_brusan_log_outputs_named(brusan):
    for name in ("q", "psi", "sigma_q", "mu_eta", "sig_eta", "iota", "residual_capital"):
        assert name in brusan.dataset


def test_interrupt_saves_and_resume_continues_exactly(tmp_path, monkeypatch):
    """Ctrl-C at step 100 keeps a checkpoint; --resume then follows the uninterrupted run."""
    model = walras.load("lucas")
    path = tmp_path / "lucas.ckpt"
    real_advance = neural.Progress.advance
    done = {"n": 0}

    def interrupt(self, n, loss):
        done["n"] += n
        if done["n"] >= 100:
            raise KeyboardInterrupt
        real_advance(self, n, loss)

    monkeypatch.setattr(neural.Progress, "advance", interrupt)
    stopped = walras.solve(model, steps=200, polish=0, checkpoint=path)
    monkeypatch.setattr(neural.Progress, "advance", real_advance)
    assert not stopped.converged and "interrupted" in stopped.message
    assert path.exists() and len(stopped.history) == 100
    resumed = walras.solve(model, steps=200, polish=0, checkpoint=path, resume=True)
    straight = walras.solve(model, steps=200, polish=0)
    np.testing.assert_allclose(resumed.history, straight.history, rtol=1e-12)


NAN_MODEL = """
model nan_prone "training walks into a region where the residual is NaN"
state x in [0, 1]
shock Z
process x: drift = 0, vol[Z] = 0.1
unknown f(x)
equation e: f + 1e-9*sqrt(2.5 - f) = 3
solver steps = 300, polish = 0, lr = 0.05
"""


def test_nan_is_detected_and_the_last_good_state_restored():
    messages = []
    compiled = walras.load(NAN_MODEL).compile()
    settings = walras.api.settings_for(walras.load(NAN_MODEL))
    solution = neural.solve(compiled, settings, compiled.params, quiet=True,
                            log=messages.append)
    assert any("NaN" in m and "restored" in m for m in messages)
    assert np.all(np.isfinite(solution.history))


def test_resume_from_a_different_network_is_a_clear_error(tmp_path):
    path = tmp_path / "lucas.ckpt"
    walras.solve("lucas", steps=10, polish=0, checkpoint=path)
    with pytest.raises(walras.EconError) as info:
        walras.solve("lucas", steps=20, polish=0, width=12, checkpoint=path, resume=True)
    (d,) = info.value.diagnostics
    assert d.code == "E134" and "different model or network" in d.message
