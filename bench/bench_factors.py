"""Factor-model benchmarks against peers, in one run: task, walras time, peer time, ratio, memory.

    python bench/bench_factors.py            # IPCA vs ipca, GMM vs linearmodels, large IPCA panel
    python bench/bench_factors.py --quick    # skip the 5,000 x 600 x 50 panel

Timings are the best of a few repeats after compilation (walras) and of whole fits (peers).
The memory of the large panel is the peak resident set of a child process that builds the panel
and estimates it.
"""

from __future__ import annotations

import contextlib
import io
import subprocess
import sys
import time

import numpy as np


def best(fn, repeat=3):
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


def panel(N, T, L, K, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(T, N, L))
    G = np.linalg.qr(rng.normal(size=(L, K)))[0]
    F = rng.normal(0.3, 1.0, size=(T, K))
    R = np.einsum("tnl,lk,tk->tn", X, G, F) + rng.normal(size=(T, N))
    return X, R


def bench_ipca():
    from ipca import InstrumentedPCA

    from walras.runtime.factors.ipca import ipca

    N, T, L, K = 500, 240, 10, 3
    X, R = panel(N, T, L, K)
    mask = np.ones((T, N), bool)
    ipca(X, R, mask, K, tol=1e-8)  # compile
    ours = best(lambda: ipca(X, R, mask, K, tol=1e-8))
    t_idx, n_idx = np.nonzero(mask)
    Xl, y = X[t_idx, n_idx], R[t_idx, n_idx]
    idx = np.column_stack([n_idx, t_idx])

    def peer():
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
            InstrumentedPCA(n_factors=K, intercept=False, iter_tol=1e-8).fit(Xl, y, indices=idx)

    peer()  # numba compilation
    theirs = best(peer, repeat=2)
    return ("IPCA N=500 T=240 L=10 K=3", ours, theirs)


def bench_gmm():
    from linearmodels.asset_pricing import LinearFactorModelGMM

    from walras.runtime.factors.data import bundled
    from walras.runtime.factors.gmm import gmm

    d = bundled("french")
    ports = ["S1V1", "S1V3", "S1V5", "S3V1", "S3V3", "S3V5", "S5V1", "S5V3", "S5V5"]
    r = d[ports].values - d[["RF"]].values
    f = d[["MktRF", "SMB", "HML"]].values
    gmm(r, f, lags=6)
    ours = best(lambda: gmm(r, f, lags=6), repeat=5)
    theirs = best(
        lambda: LinearFactorModelGMM(r, f).fit(
            steps=2, cov_type="kernel", kernel="bartlett", bandwidth=6, disp=0
        ),
        repeat=3,
    )
    return ("GMM ff3, 2-step, Bartlett 6 lags", ours, theirs)


LARGE = """
import resource, time, numpy as np
from walras.runtime.factors.ipca import ipca
N, T, L, K = 5000, 600, 50, 3
rng = np.random.default_rng(0)
X = np.empty((T, N, L))
R = np.empty((T, N))
G = np.linalg.qr(rng.normal(size=(L, K)))[0]
for t in range(T):
    X[t] = rng.normal(size=(N, L))
    R[t] = X[t] @ G @ rng.normal(0.3, 1.0, K) + rng.normal(size=N)
mask = np.ones((T, N), bool)
t0 = time.perf_counter()
fit = ipca(X, R, mask, K, tol=1e-8)
peak_gib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20
print(time.perf_counter() - t0, peak_gib, fit.iterations)
"""


def bench_large():
    out = subprocess.run([sys.executable, "-c", LARGE], capture_output=True, text=True, check=True)
    seconds, gib, _ = out.stdout.split()
    return ("IPCA N=5000 T=600 L=50 K=3", float(seconds), None, float(gib))


def main():
    rows = [bench_ipca() + (None,), bench_gmm() + (None,)]
    if "--quick" not in sys.argv:
        rows.append(bench_large())
    print(f"{'task':36s} {'walras s':>10s} {'peer s':>10s} {'ratio':>8s} {'peak GiB':>9s}")
    for task, ours, theirs, mem in rows:
        ratio = f"{theirs / ours:8.1f}" if theirs else f"{'':8s}"
        peer = f"{theirs:10.3f}" if theirs else f"{'':10s}"
        memory = f"{mem:9.2f}" if mem else ""
        print(f"{task:36s} {ours:10.4f} {peer} {ratio} {memory}")


if __name__ == "__main__":
    main()
