"""The dependency graph of a model's definitions and process terms, built once by the symbolic
stage and kept on its `System`: the compiler solves it dependencies first, `emit` prints it in the
order a reader meets it."""

from __future__ import annotations

import heapq
from dataclasses import dataclass
from functools import cached_property

import sympy as sp
from sympy.utilities.iterables import strongly_connected_components


@dataclass(frozen=True)
class Graph:
    """Definitions and process terms (`drift__x`, `vol__x__Z`) in declaration order, definitions
    first, and what each needs: an edge (node, a node it needs) follows names and operators
    (`vol(g, Z)` needs every `vol__·__Z`, `drift(g)` every process term)."""

    nodes: tuple[sp.Symbol, ...]
    edges: tuple[tuple[sp.Symbol, sp.Symbol], ...]

    @cached_property
    def _loops(self) -> frozenset[sp.Symbol]:
        return frozenset(s for s, d in self.edges if s == d)

    def cyclic(self, group: list[sp.Symbol]) -> bool:
        """Whether a component is a cycle (more than one member, or one that needs itself)."""
        return len(group) > 1 or group[0] in self._loops

    def components(self) -> list[list[sp.Symbol]]:
        """Strongly connected components, dependencies first."""
        return strongly_connected_components((list(self.nodes), list(self.edges)))

    def in_declaration_order(self) -> list[list[sp.Symbol]]:
        """The components, members in declaration order, in dependency order and otherwise in
        declaration order: of the components whose dependencies are placed, the one declared
        first comes next."""
        order = {s: i for i, s in enumerate(self.nodes)}
        comps = [sorted(g, key=order.get) for g in self.components()]
        comp = {s: i for i, g in enumerate(comps) for s in g}
        needs = [set() for _ in comps]
        for s, d in self.edges:
            if comp[s] != comp[d]:
                needs[comp[s]].add(comp[d])
        waiting = [len(n) for n in needs]
        dependents = [[] for _ in comps]
        for i, n in enumerate(needs):
            for j in n:
                dependents[j].append(i)
        ready = [(order[g[0]], i) for i, g in enumerate(comps) if not waiting[i]]
        heapq.heapify(ready)
        done = []
        while ready:
            _, i = heapq.heappop(ready)
            done.append(comps[i])
            for k in dependents[i]:
                waiting[k] -= 1
                if not waiting[k]:
                    heapq.heappush(ready, (order[comps[k][0]], k))
        return done
