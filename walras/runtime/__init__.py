"""Numerical back ends: networks and the neural solver, least squares, sampling, results."""
