"""The stationary distribution of the states by the Kolmogorov forward equation (up to 3 states).

The domain is cut into `cells` equal cells per state, edges reflecting. The forward equation is
discretised as a continuous-time Markov chain between neighbouring cells, so the scheme is
conservative (what leaves a cell enters its neighbour), the distribution sums to one exactly and
no mass is negative. Along each state the rates are the Scharfetter-Gummel (exponentially
fitted upwind) fluxes: between centres x_i and x_{i+1} at distance h, with D = σ²/2 and
z = ∫ 2μ/σ² dx over [x_i, x_{i+1}] (five-point Gauss-Legendre), the rate to the right is
B(-z) D(x_i)/h² and to the left B(z) D(x_{i+1})/h², B(z) = z/(eᶻ - 1). In one state this is
exact for the nodes: zero flux gives σ²p(x_{i+1})/σ²p(x_i) = exp(z), the closed form. It is
upwind where diffusion vanishes. Covariances between states enter as Kushner's diagonal moves
(a rate |c|/(4 h_j h_l) to the diagonal neighbours, taken from the axis ones); where that would
make an axis rate negative it is set to zero and `clipped_rates` counts it (refine the grid).

The distribution is the null vector of the generator's transpose, solved sparsely with the
normalisation in place of one equation. A model without a stationary density is told so
(`NoStationaryDistribution`) by one of two criteria:
- the chain has no unique stationary distribution (the system is singular, or its solution not
  nonnegative to 1e-9): the domain splits into parts that never meet;
- mass piles at an edge: the outermost layer of cells holds at least `ATOM_MASS` of the mass and
  keeps more than `ATOM_RATIO` of it when the cells are halved in number (a density's layer
  would halve, an atom's does not).
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sps
import scipy.sparse.linalg as spla
import xarray as xr

from .dynamics import Dynamics
from .points import mesh
from .schema import Role, tag

ATOM_MASS = 1e-3
ATOM_RATIO = 0.75
GAUSS = np.polynomial.legendre.leggauss(5)
DEFAULT_CELLS = {1: 1000, 2: 150, 3: 40}
MIN_CELLS = 4  # per state: the edge check compares with half as many
MAX_CELLS = 10**7  # in all: the sparse solve of the forward equation


class NoStationaryDistribution(ValueError):
    """The model's states have no stationary density on the domain."""


def centres(dyn: Dynamics, cells: int) -> list[np.ndarray]:
    h = (dyn.hi - dyn.lo) / cells
    return [lo + h_ * (np.arange(cells) + 0.5) for lo, h_ in zip(dyn.lo, h)]


def generator(dyn: Dynamics, cells: int) -> tuple[sps.csr_matrix, int]:
    """The generator Q (rows: from, columns: to) of the chain on `cells` cells per state, and
    the number of rates clipped at zero."""
    d = len(dyn.states)
    axes = centres(dyn, cells)
    h = (dyn.hi - dyn.lo) / cells
    x = mesh(dict(zip(dyn.states, axes)))
    shape = (cells,) * d
    index = np.arange(x.shape[0]).reshape(shape)
    _, vol = _law(dyn, x)
    cov = np.einsum("njk,nlk->njl", vol, vol)
    floor = 1e-14 * max(float(np.abs(cov).max()), 1e-300)
    rows, cols, rates = [], [], []
    axis_rates = {}
    for j in range(d):
        lo_idx = np.take(index, np.arange(cells - 1), axis=j).ravel()
        hi_idx = np.take(index, np.arange(1, cells), axis=j).ravel()
        z = np.zeros(len(lo_idx))
        for node, weight in zip(*GAUSS):
            at = x[lo_idx].copy()
            at[:, j] += (1 + node) / 2 * h[j]
            mu, v = _law(dyn, at)
            var = np.maximum((v[:, j, :] ** 2).sum(-1), floor)
            z += weight / 2 * h[j] * 2 * mu[:, j] / var
        diff_lo = np.maximum(cov[lo_idx, j, j], floor) / 2
        diff_hi = np.maximum(cov[hi_idx, j, j], floor) / 2
        axis_rates[j] = [
            (lo_idx, hi_idx, _bernoulli(-z) * diff_lo / h[j] ** 2),
            (hi_idx, lo_idx, _bernoulli(z) * diff_hi / h[j] ** 2),
        ]
    clipped = 0
    for j in range(d):
        for m in range(j + 1, d):
            c = cov[:, j, m] / (4 * h[j] * h[m])
            for sj in (-1, 1):
                for sm in (-1, 1):
                    src, dst = _diagonal(index, j, m, sj, sm)
                    take = c[src] * sj * sm > 0
                    rows.append(src[take])
                    cols.append(dst[take])
                    rates.append(np.abs(c[src][take]))
            for k in (j, m):  # the diagonal moves replace part of the axis moves
                for src, _, r in axis_rates[k]:
                    r -= np.abs(c[src])
    for j in range(d):
        for src, dst, r in axis_rates[j]:
            clipped += int((r < 0).sum())
            rows.append(src)
            cols.append(dst)
            rates.append(np.maximum(r, 0.0))
    rows, cols, rates = map(np.concatenate, (rows, cols, rates))
    n = x.shape[0]
    q = sps.coo_matrix((rates, (rows, cols)), shape=(n, n)).tocsr()
    q = q - sps.diags(np.asarray(q.sum(axis=1)).ravel())
    return q.tocsr(), clipped


def distribution(dyn: Dynamics, cells: int) -> tuple[np.ndarray, sps.csr_matrix, int]:
    """The stationary probabilities of the cells (cells,)*states, the generator and the number
    of clipped rates; raises NoStationaryDistribution where the chain has no unique one."""
    q, clipped = generator(dyn, cells)
    n = q.shape[0]
    a = q.T.tolil()
    pivot = int(np.argmax(-q.diagonal()))  # the busiest cell carries the normalisation
    a[pivot, :] = np.ones(n)
    b = np.zeros(n)
    b[pivot] = 1.0
    with np.errstate(all="ignore"):
        try:
            pi = spla.spsolve(a.tocsc(), b)
        except RuntimeError:
            pi = np.full(n, np.nan)
    if not np.all(np.isfinite(pi)) or pi.min() < -1e-9:
        raise NoStationaryDistribution(
            "no unique stationary distribution: the domain splits into parts the states never "
            "cross between"
        )
    pi = np.maximum(pi, 0.0)
    return (pi / pi.sum()).reshape((cells,) * len(dyn.states)), q, clipped


def solve(dyn: Dynamics, cells: int | None = None):
    """(cells, probabilities, generator, clipped rates) after both criteria of the module."""
    d = len(dyn.states)
    if not 1 <= d <= 3:
        raise ValueError(f"the forward equation is for one to three states, not {d}: simulate")
    if dyn.poisson or dyn.discrete.any():
        raise ValueError(
            "the forward equation here has diffusions only, not Poisson jumps or discrete states "
            f"({', '.join(dyn.poisson) or 'a discrete state'}): simulate long paths and take "
            "their moments (walras moments PATHS.nc)"
        )
    cells = DEFAULT_CELLS[d] if cells is None else cells
    if not (MIN_CELLS <= cells and cells**d <= MAX_CELLS):
        raise ValueError(
            f"{cells} cells per state: give from {MIN_CELLS} (the edge check halves them) to "
            f"{int(MAX_CELLS ** (1 / d))} with {d} state(s)"
        )
    probability, q, clipped = distribution(dyn, cells)
    _check_edges(dyn, probability, cells)
    return cells, probability, q, clipped


def stationary(dyn: Dynamics, cells: int | None = None) -> xr.Dataset:
    """The stationary density on the cell centres (`density`; times the cell volume, attribute
    `cell_volume`, it sums to one). Raises NoStationaryDistribution (see the module)."""
    cells, probability, _, clipped = solve(dyn, cells)
    axes = centres(dyn, cells)
    volume = float(np.prod((dyn.hi - dyn.lo) / cells))
    coords = {s: tag(xr.DataArray(a, dims=s), Role.STATE) for s, a in zip(dyn.states, axes)}
    ds = xr.Dataset(
        {
            "density": tag(
                xr.DataArray(probability / volume, dims=dyn.states),
                Role.DISTRIBUTION,
                long_name="stationary density of the states",
            ),
        },
        coords=coords,
    )
    ds.attrs.update({**dyn.attrs, "cells": cells, "cell_volume": volume, "clipped_rates": clipped})
    return ds


def _check_edges(dyn: Dynamics, probability: np.ndarray, cells: int) -> None:
    """Raise where mass piles at an edge (see the module's criteria)."""
    coarse, _, _ = distribution(dyn, cells // 2)
    for j, s in enumerate(dyn.states):
        for side, at in (("lower", 0), ("upper", -1)):
            fine = float(np.take(probability, at, axis=j).sum())
            wide = float(np.take(coarse, at, axis=j).sum())
            if fine >= ATOM_MASS and fine > ATOM_RATIO * wide:
                edge = dyn.lo[j] if at == 0 else dyn.hi[j]
                raise NoStationaryDistribution(
                    f"no stationary density: the mass piles at the {side} edge of {s} "
                    f"({s} = {edge:g}): the outermost cells hold {fine:.3g} of it and keep "
                    f"{fine / wide:.0%} of that when the cells are twice as wide"
                )


def _law(dyn: Dynamics, x: np.ndarray, size: int = 100_000):
    import jax.numpy as jnp

    parts = [dyn.law(jnp.asarray(x[i : i + size])) for i in range(0, len(x), size)]
    mu = np.concatenate([np.asarray(p[0]) for p in parts])
    vol = np.concatenate([np.asarray(p[1]) for p in parts])
    return mu, vol


def _bernoulli(z: np.ndarray) -> np.ndarray:
    """B(z) = z/(e^z - 1), with B(0) = 1, without overflow."""
    z = np.asarray(z, float)
    small = np.abs(z) < 1e-6
    safe = np.where(small, 1.0, z)
    out = np.where(z > 0, safe * np.exp(-safe) / -np.expm1(-safe), safe / np.expm1(safe))
    return np.where(small, 1 - z / 2, out)


def _diagonal(index: np.ndarray, j: int, m: int, sj: int, sm: int):
    """Cells and their diagonal neighbours one step along j (sign sj) and m (sign sm)."""
    n = index.shape[j]
    a = np.arange(max(0, -sj), n - max(0, sj))
    b = np.arange(max(0, -sm), n - max(0, sm))
    src = np.take(np.take(index, a, axis=j), b, axis=m).ravel()
    dst = np.take(np.take(index, a + sj, axis=j), b + sm, axis=m).ravel()
    return src, dst
