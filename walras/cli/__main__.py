"""`python -m walras.cli`: the same as the `walras` command."""

from . import command

command()
