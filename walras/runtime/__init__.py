"""Numerical back ends: networks and the solvers, least squares, sampling, factor estimators and
results. Everything here returns data (arrays, Datasets); presentation lives in `walras.cli`."""

from .. import precision  # noqa: F401  (float64 before any array is built)
