"""No lost file: outputs never replace a model, a checkpoint or good results, keep links and
permissions. Each test compares the original file byte for byte afterwards."""

import os
import stat

import numpy as np
import pytest
import xarray as xr
from typer.testing import CliRunner

import walras
from walras.cli import app
from walras.grammar.diagnostics import EconError
from walras.runtime.results import write_netcdf
from walras.runtime.solvers.neural import checkpoint

runner = CliRunner()


def run(*args):
    return runner.invoke(app, [str(a) for a in args])


def results(converged: bool = True, value: float = 1.0) -> xr.Dataset:
    return xr.Dataset(
        {"pd": ("y", np.full(3, value))}, attrs={"converged": int(converged), "model": "m"}
    )


@pytest.fixture
def umask():
    def set_umask(mask):
        old.append(os.umask(mask))

    old = []
    yield set_umask
    os.umask(old[0])


def test_the_model_is_not_overwritten(tmp_path):
    victim = tmp_path / "victim.econ"
    victim.write_bytes(walras.api.resolve("lucas").read_bytes())
    before = victim.read_bytes()
    result = run("solve", victim, "-o", victim, "--method", "neural", "--steps", 5, "--quiet")
    assert result.exit_code == 1 and "error[E180]" in result.output
    assert "Traceback" not in result.output
    assert victim.read_bytes() == before


def test_a_checkpoint_is_not_overwritten(tmp_path):
    ckpt = tmp_path / "x.ckpt"
    checkpoint.save(ckpt, {"a": np.arange(3.0)}, {"step": 0, "history": []})
    before = ckpt.read_bytes()
    result = run("solve", "lucas", "-o", ckpt, "--method", "neural", "--steps", 5, "--quiet")
    assert result.exit_code == 1 and "error[E180]" in result.output
    assert ckpt.read_bytes() == before
    fresh = run(
        "solve", "lucas", "-o", tmp_path / "y.ckpt", "--method", "neural", "--steps", 5, "--quiet"
    )
    assert fresh.exit_code == 1 and "error[E183]" in fresh.output
    assert not (tmp_path / "y.ckpt").exists()


def test_results_do_not_replace_data_or_a_folder(tmp_path):
    data = tmp_path / "returns.csv"
    data.write_text("date,r\n2000-01,0.01\n")
    with pytest.raises(EconError, match="E180"):
        write_netcdf(results(), data)
    assert data.read_text() == "date,r\n2000-01,0.01\n"
    with pytest.raises(EconError, match="it is a folder"):
        write_netcdf(results(), tmp_path)


def test_unconverged_results_go_beside_existing_ones(tmp_path):
    good = tmp_path / "good.nc"
    write_netcdf(results(value=9.5), good)
    before = good.read_bytes()
    written = write_netcdf(results(converged=False, value=np.nan), good)
    assert written == tmp_path / "good.unconverged.nc"
    assert good.read_bytes() == before
    with xr.open_dataset(written, engine="h5netcdf") as ds:
        assert np.isnan(ds["pd"].values).all()
    # without results at the path, unconverged results are written there
    assert write_netcdf(results(converged=False), tmp_path / "new.nc") == tmp_path / "new.nc"


def test_a_failed_solve_keeps_good_results(tmp_path):
    good = tmp_path / "lucas.nc"
    write_netcdf(results(value=9.5), good)
    before = good.read_bytes()
    result = run(
        "solve", "lucas", "-o", good, "--method", "neural", "--steps", 5, "--polish", 0, "--quiet"
    )
    assert result.exit_code == 2, result.output
    assert good.read_bytes() == before
    assert (tmp_path / "lucas.unconverged.nc").exists()
    assert "lucas.unconverged.nc" in result.output and "is kept" in result.output


@pytest.mark.parametrize("mask", [0o022, 0o077, 0o002])
def test_new_files_follow_the_umask(tmp_path, umask, mask):
    umask(mask)
    nc = write_netcdf(results(), tmp_path / "r.nc")
    ckpt = tmp_path / "r.ckpt"
    checkpoint.save(ckpt, {"a": np.arange(3.0)}, {"step": 0, "history": []})
    for path in (nc, ckpt):
        assert stat.S_IMODE(path.stat().st_mode) == 0o666 & ~mask


def test_a_replaced_file_keeps_its_permissions(tmp_path, umask):
    umask(0o022)
    path = tmp_path / "r.nc"
    write_netcdf(results(), path)
    path.chmod(0o640)
    write_netcdf(results(value=2.0), path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o640


def test_a_link_stays_a_link(tmp_path):
    target = tmp_path / "store" / "r.nc"
    target.parent.mkdir()
    write_netcdf(results(value=1.0), target)
    link = tmp_path / "r.nc"
    link.symlink_to(target)
    write_netcdf(results(value=2.0), link)
    assert link.is_symlink() and link.resolve() == target.resolve()
    with xr.open_dataset(target, engine="h5netcdf") as ds:
        assert float(ds["pd"][0]) == 2.0
    ckpt_target, ckpt_link = tmp_path / "store" / "r.ckpt", tmp_path / "r.ckpt"
    checkpoint.save(ckpt_target, {"a": np.zeros(2)}, {"step": 0, "history": []})
    ckpt_link.symlink_to(ckpt_target)
    checkpoint.save(ckpt_link, {"a": np.ones(2)}, {"step": 1, "history": [1.0]})
    assert ckpt_link.is_symlink()
    _, meta = checkpoint.load(ckpt_target, {"a": np.zeros(2)})
    assert meta["step"] == 1


def test_a_damaged_checkpoint_is_a_coded_error(tmp_path):
    ckpt = tmp_path / "lucas.ckpt"
    checkpoint.save(ckpt, {"a": np.arange(300.0)}, {"step": 50, "history": [1.0]})
    ckpt.write_bytes(ckpt.read_bytes()[:200])
    with pytest.raises(EconError, match="E181"):
        checkpoint.load(ckpt, {"a": np.zeros(300)})
    result = run(
        "solve", "lucas", "-o", tmp_path / "lucas.nc", "--method", "neural", "--resume", "--quiet"
    )
    assert result.exit_code == 1 and "error[E181]" in result.output
    assert "without --resume" in result.output and "Traceback" not in result.output


def test_resume_without_a_checkpoint_is_a_coded_error(tmp_path):
    for args in (("-o", tmp_path / "none.nc"), ()):
        result = run("solve", "lucas", *args, "--method", "neural", "--resume", "--quiet")
        assert result.exit_code == 1 and "error[E182]" in result.output
    assert not (tmp_path / "none.nc").exists()


def test_estimate_to_a_folder_or_an_unwritable_place(tmp_path):
    folder = run("estimate", "ff3", "-o", tmp_path)
    assert folder.exit_code == 1 and "error[E180]" in folder.output
    a_file = tmp_path / "notes.txt"
    a_file.write_text("notes")
    inside = run("estimate", "ff3", "-o", a_file / "out.nc")
    assert inside.exit_code == 1 and "error[E135]" in inside.output
    assert "Traceback" not in folder.output + inside.output and a_file.read_text() == "notes"
