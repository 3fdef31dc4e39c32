"""Estimators and tests of factor models, from `factor_model` blocks of `.econ` files."""

from .api import bundled_models, estimate, fit, load_specs, resolve
from .results import write_netcdf

__all__ = ["bundled_models", "estimate", "fit", "load_specs", "resolve", "write_netcdf"]
