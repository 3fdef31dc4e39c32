"""Immutable dataclasses that are JAX pytrees, as `equinox.Module` makes them, without loading
equinox (a fifth of a second) on a warm collocation start: every field is a leaf, except those
made with `static`, which belong to the tree's structure (hashable, compared by value)."""

from __future__ import annotations

import dataclasses

import jax


def pytree(cls: type) -> type:
    """`cls` as a frozen dataclass registered as a pytree."""
    return jax.tree_util.register_dataclass(dataclasses.dataclass(frozen=True)(cls))


def static(**options):
    """A field of the tree's structure (`dataclasses.field` options: `default`)."""
    return dataclasses.field(metadata={"static": True}, **options)
