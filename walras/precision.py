"""Floating-point precision: walras computes in float64 everywhere.

JAX defaults to float32; the solvers' tolerances (residuals near 1e-10, Newton steps on Chebyshev
coefficients) need float64. This module is the one place that switches it on. Every module that
creates JAX arrays is reached through an import of it: `walras.compiler.codegen` and
`walras.runtime` import it first, so no array is built before the flag is set. It does not import
JAX itself: when JAX is not loaded yet, the flag goes into the environment JAX reads when it loads
(`JAX_ENABLE_X64`), so reading settings or checking a model stays light; importing `walras` or
`walras.grammar` alone does not import JAX.
"""

import os
import sys

if "jax" in sys.modules:
    sys.modules["jax"].config.update("jax_enable_x64", True)
else:
    os.environ["JAX_ENABLE_X64"] = "1"
