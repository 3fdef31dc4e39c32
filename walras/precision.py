"""Floating-point precision: walras computes in float64 everywhere.

JAX defaults to float32; the solvers' tolerances (residuals near 1e-10, Newton steps on Chebyshev
coefficients) need float64. This module is the one place that switches it on. Every module that
creates JAX arrays is reached through an import of it: `walras.compiler.codegen` and
`walras.runtime` import it first, so no array is built before the flag is set. Importing
`walras` or `walras.grammar` alone does not import JAX.
"""

import jax

jax.config.update("jax_enable_x64", True)
