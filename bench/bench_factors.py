"""Factor-model benchmarks against peers, in one run: task, walras time, peer time, ratio, memory.

    python bench/bench_factors.py            # IPCA vs ipca, GMM vs linearmodels, large IPCA panel
    python bench/bench_factors.py --quick    # skip the 5,000 x 600 x 50 panel
    python bench/bench_factors.py --seed002 [FIRMS MONTHS CHARS [ipca|neurif]]   # NeurIF-sized

`--seed002` builds a panel the shape of NeurIF's data (21,945 firms, 480 months, 46
characteristics by default) with realistic missingness: each firm is listed for one spell
(start uniform, length geometric with mean 120 months) and each characteristic is missing in 10% of
its listed months. It reports IPCA's fit time (after compiling on 50 firms: the compiled shapes do
not depend on the number of firms) and the NeurIF time per full-batch epoch (after the first), each
with the peak memory of its child process. Full-batch spatial attention holds months × firms²
logits per head, so NeurIF at the full size needs a GPU or mini-batches of firms (not done here).

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


SEED002 = """
import resource, sys, time, numpy as np
N, T, L, K, task = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), 3, sys.argv[4]
rng = np.random.default_rng(0)
start = rng.integers(-120, T, size=N)
life = rng.geometric(1 / 120, size=N)
t = np.arange(T)[:, None]
listed = (t >= start) & (t < start + life)
G = np.linalg.qr(rng.normal(size=(L, K)))[0]
X = rng.normal(size=(T, N, L)).astype(np.float64)
F = rng.normal(0.3, 1.0, size=(T, K))
R = np.einsum("tnl,lk,tk->tn", X, G, F) + rng.normal(size=(T, N))
mask = listed & (rng.random((T, N)) > 0.1)  # a missing characteristic drops the cell
X *= mask[..., None]
R *= mask
t0 = time.perf_counter()
if task == "ipca":
    from walras.runtime.factors.ipca import ipca
    ipca(X[:, :50], R[:, :50], mask[:, :50], K, tol=1e-8, max_iter=2)  # compile
    t0 = time.perf_counter()
    fit = ipca(X, R, mask, K, tol=1e-8)
    steps = fit.iterations
else:
    import jax.numpy as jnp
    import equinox as eqx
    import optax
    from walras.runtime.factors.neural import _step
    from walras.runtime.factors.neurif import NeurIF
    import jax
    model = NeurIF(L, K, 32, 2, 2, True, jax.random.PRNGKey(0))
    params, static = eqx.partition(model, eqx.is_inexact_array)
    state = optax.adamw(1e-3).init(params)
    tr = jnp.asarray(np.arange(T) < int(0.8 * T))
    va = jnp.asarray(np.arange(T) >= int(0.8 * T))
    data = tuple(map(jnp.asarray, (X, R, mask)))
    params, state, _ = _step(params, state, static, *data, tr, va, 1e-3, 0.0, 0.0, 0.0)
    t0 = time.perf_counter()
    steps = 3
    for _ in range(steps):
        params, state, v = _step(params, state, static, *data, tr, va, 1e-3, 0.0, 0.0, 0.0)
    v.block_until_ready()
seconds = time.perf_counter() - t0
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20
print(seconds / (1 if task == "ipca" else steps), peak, steps, mask.mean())
"""


def bench_seed002(firms: int, months: int, chars: int, tasks=("ipca", "neurif")):
    rows = []
    for task in tasks:
        args = [sys.executable, "-c", SEED002, str(firms), str(months), str(chars), task]
        out = subprocess.run(args, capture_output=True, text=True, check=True)
        seconds, gib, steps, observed = out.stdout.split()
        what = "fit" if task == "ipca" else "epoch"
        label = (
            f"{task} {what} N={firms} T={months} L={chars} ({float(observed):.0%} obs, {steps} it)"
        )
        rows.append((label, float(seconds), None, float(gib)))
    return rows


def main():
    if "--seed002" in sys.argv:
        args = sys.argv[sys.argv.index("--seed002") + 1 :]
        sizes = [int(a) for a in args[:3]] or [21945, 480, 46]
        show(bench_seed002(*sizes, tasks=args[3:] or ("ipca", "neurif")))
        return
    rows = [bench_ipca() + (None,), bench_gmm() + (None,)]
    if "--quick" not in sys.argv:
        rows.append(bench_large())
    show(rows)


def show(rows):
    print(f"{'task':36s} {'walras s':>10s} {'peer s':>10s} {'ratio':>8s} {'peak GiB':>9s}")
    for task, ours, theirs, mem in rows:
        ratio = f"{theirs / ours:8.1f}" if theirs else f"{'':8s}"
        peer = f"{theirs:10.3f}" if theirs else f"{'':10s}"
        memory = f"{mem:9.2f}" if mem else ""
        print(f"{task:36s} {ours:10.4f} {peer} {ratio} {memory}")


if __name__ == "__main__":
    main()
