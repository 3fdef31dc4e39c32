"""Estimators and tests of factor models, from `factor_model` blocks of `.econ` files."""

from .api import estimate, fit, load_specs

__all__ = ["estimate", "fit", "load_specs"]
