"""The neural solver on `basak_cuoco` (γ = 5) against the collocation reference: the time of a
whole `walras.solve` process (the compilation cache warm after a first run) and the error of
ω_expert, ω_household and pd on the results grid, as a curve in η and as maxima over η ≥ 0.05
and η ≥ 0.1 (where the reference's own cut edge moves it by 1e-4 and 3e-5).

Run: python bench/bench_basak_neural.py [--runs N] [--seed S]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import xarray as xr

import walras

NEURAL = {
    "method": "neural",
    "homotopy": "gamma=1",
    "steps": 0,
    "width": 8,
    "polish": 600,
    "polish_points": 512,
}
REFERENCE = {"method": "collocation", "degree": 48, "homotopy": "gamma=1"}
UNKNOWNS = ("omega_expert", "omega_household", "pd")


def whole_process(path: Path, seed: int) -> float:
    """Wall time of a fresh `python -c 'walras.solve(...)'` that writes its results to `path`."""
    code = (
        f"import walras; walras.solve('basak_cuoco', output={str(path)!r}, seed={seed}, "
        f"**{NEURAL!r})"
    )
    t0 = time.perf_counter()
    subprocess.run([sys.executable, "-c", code], check=True, capture_output=True)
    return time.perf_counter() - t0


def errors(ds: xr.Dataset, ref: xr.Dataset) -> dict[str, np.ndarray]:
    """|neural − reference| of each unknown, and of pd relative, on the results grid."""
    out = {u: np.abs(ds[u].values - ref[u].values) for u in UNKNOWNS}
    out["pd (relative)"] = np.abs(ds["pd"].values / ref["pd"].values - 1)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--runs",
        type=int,
        default=2,
        help="whole-process runs (the first fills the compilation cache)",
    )
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    ref = walras.solve("basak_cuoco", **REFERENCE).dataset
    eta = ref["eta_expert"].values
    print(f"neural settings: {NEURAL}")
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "basak.nc"
        times = [whole_process(path, args.seed) for _ in range(max(1, args.runs))]
        ds = xr.open_dataset(path, engine="h5netcdf").load()
    print("whole process (s): " + ", ".join(f"{t:.1f}" for t in times))
    print(
        f"converged: {ds.attrs.get('converged')}; validation (mean squared scaled residual): "
        + ", ".join(
            f"{k[11:]} {float(v):.1e}" for k, v in ds.attrs.items() if k.startswith("validation_")
        )
    )
    err = errors(ds, ref)
    for lo in (0.05, 0.1):
        keep = eta >= lo
        print(
            f"max error on eta >= {lo}: "
            + ", ".join(f"{k} {np.max(e[keep]):.1e}" for k, e in err.items())
        )
    print("error curve:")
    print("  eta     " + "  ".join(f"{k:>15}" for k in err))
    for i in (0, 2, 5, 10, 20, 30, 50, 70, 90, 95, 100):
        print(f"  {eta[i]:.3f}  " + "  ".join(f"{e[i]:15.1e}" for e in err.values()))


if __name__ == "__main__":
    main()
