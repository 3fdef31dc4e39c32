"""Checks of `guess` statements: one per unknown at most, each an expression the solvers can
evaluate before anything is solved, that is of numbers, parameters, the unknown's own states and
definitions of those (no unknowns, shocks or operators, directly or through a definition)."""

from __future__ import annotations

from ...grammar import ast
from ...grammar.diagnostics import did_you_mean
from ..builtins import ARITY, OPERATORS, operands
from ..model import Guess, Unknown


def _nodes(e: ast.Expr):
    """The nodes of an expression, outermost first, not inside an operator's arguments."""
    stack = [e]
    while stack:
        node = stack.pop()
        yield node
        stack.extend(reversed(operands(node)))


class Guesses:
    """The checks of guesses, a part of the checker (`self.out`, `self.kind`, `self.decls`,
    `self.used`, `self.of`, `self.call`, `self.finite_number` and `self.undeclared` are the
    checker's)."""

    def guesses(self, unknowns: list[Unknown]) -> dict[str, Guess]:
        by_name = {u.name: u for u in unknowns}
        found: dict[str, Guess] = {}
        for g in self.of(ast.GuessDecl):
            name = g.unknown.id
            if name not in by_name:
                kind = self.kind(name)
                self.out.error(
                    "E118",
                    f"'{name}' is a {kind}: a guess is the start of an unknown"
                    if kind
                    else f"a guess for '{name}', which is not declared",
                    g.unknown.span,
                    did_you_mean(name, list(by_name)) or f"unknowns: {', '.join(by_name)}",
                )
                continue
            if name in found:
                self.out.error(
                    "E102",
                    f"'{name}' has a second guess",
                    g.span,
                    notes=(f"the first is at line {found[name].span.line}",),
                )
                continue
            self.guess_expr(g.expr, by_name[name])
            found[name] = Guess(name, g.expr, g.doc, g.span)
        return found

    def guess_expr(self, expr: ast.Expr, unknown: Unknown):
        """Every name of a guess in its scope; built-in calls checked as elsewhere."""
        for node in _nodes(expr):
            if isinstance(node, ast.Num):
                self.finite_number(node)
            elif isinstance(node, ast.Call) and node.func in OPERATORS:
                self.out_of_scope(node.func_span, f"'{node.func}' is an operator")
            elif isinstance(node, ast.Call):
                self.call(node)
            elif isinstance(node, ast.Name):
                self.used.add(node.id)
                self.guess_name(node, unknown)

    def guess_name(self, name: ast.Name, unknown: Unknown):
        kind = self.kind(name.id)
        if kind is None and name.id in ARITY:
            self.out.error("E110", f"'{name.id}' is a function; call it with arguments", name.span)
        elif kind is None:
            self.undeclared(name)
        elif kind == "state" and name.id not in unknown.args:
            self.out_of_scope(
                name.span,
                f"'{name.id}' is a state that '{unknown.name}' does not depend on",
                f"'{unknown.name}' is a function of {', '.join(unknown.args) or 'no state'}",
            )
        elif kind in ("unknown", "shock"):
            self.out_of_scope(name.span, f"'{name.id}' is a{'n' * (kind == 'unknown')} {kind}")
        elif kind == "definition":
            reason = self.definition_scope(name.id, unknown, set())
            if reason:
                self.out_of_scope(name.span, f"the definition '{name.id}' uses {reason}")

    def definition_scope(self, name: str, unknown: Unknown, seen: set[str]) -> str | None:
        """What puts a definition out of a guess's scope (through the definitions it uses), or
        None."""
        seen.add(name)
        for node in _nodes(self.decls[name].expr):
            if isinstance(node, ast.Call) and node.func in OPERATORS:
                return f"the operator '{node.func}'"
            if not isinstance(node, ast.Name):
                continue
            kind = self.kind(node.id)
            if kind in ("unknown", "shock"):
                return f"the {kind} '{node.id}'"
            if kind == "state" and node.id not in unknown.args:
                return f"the state '{node.id}', which '{unknown.name}' does not depend on"
            if kind == "definition" and node.id not in seen:
                reason = self.definition_scope(node.id, unknown, seen)
                if reason:
                    return reason
        return None

    def out_of_scope(self, span, what: str, hint: str | None = None):
        self.out.error(
            "E129",
            f"{what}: a guess is evaluated before anything is solved",
            span,
            hint
            or "a guess may use numbers, parameters, the unknown's states and definitions of those",
        )
