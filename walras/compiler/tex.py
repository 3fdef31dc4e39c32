"""LaTeX for the model's expressions: names as a researcher writes them (Greek letters,
subscripts), `d`, `vol`, `drift` and `jump` written out in derivatives of the named quantities,
products and powers without redundant parentheses."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from functools import reduce

import sympy as sp

from ..grammar import ast
from ..grammar.unparse import number
from .builtins import FUNCTIONS, OPERATORS, operands
from .system import System, drift_symbol, jump_symbol, rate_symbol, vol_symbol

GREEK = frozenset(
    "alpha beta gamma delta epsilon varepsilon zeta eta theta vartheta iota kappa lambda mu nu xi "
    "pi varpi rho varrho sigma varsigma tau upsilon phi varphi chi psi omega "
    "Gamma Delta Theta Lambda Xi Pi Sigma Upsilon Phi Psi Omega".split()
)


def name(n: str) -> str:
    r"""A `.econ` name in LaTeX. If its first `_`-separated part is a Greek letter or a single
    letter (digits after it count as a part: `sigma1`), the other parts are subscripts separated
    by commas: Greek letters, single characters and numbers as math, words upright
    (`sigma_a_expert` -> `\sigma_{a,\text{expert}}`). Any other name is one italic word
    (`risk_premium` -> `\mathit{risk\_premium}`)."""
    m = re.fullmatch(r"([A-Za-z]+)(\d*)((?:_[A-Za-z0-9]+)*)", n)
    if not m or not (m[1] in GREEK or len(m[1]) == 1):
        return r"\mathit{" + n.replace("_", r"\_") + "}"
    subs = ([m[2]] if m[2] else []) + m[3].split("_")[1:]
    sub = lambda p: (
        "\\" + p if p in GREEK else p if len(p) == 1 or p.isdigit() else r"\text{" + p + "}"
    )
    return ("\\" + m[1] if m[1] in GREEK else m[1]) + (
        "_{" + ",".join(sub(p) for p in subs) + "}" if subs else ""
    )


@dataclass(frozen=True)
class _Tex:
    """An already rendered atom: a process term (`sup`) or a derivative (`partial`)."""

    text: str
    kind: str


_ZERO, _ONE, _TWO = ast.Num(0.0, None), ast.Num(1.0, None), ast.Num(2.0, None)


def _is(e, value: float) -> bool:
    return isinstance(e, ast.Num) and e.value == value


def _times(a, b):
    if _is(a, 0) or _is(b, 0):
        return _ZERO
    return b if _is(a, 1) else a if _is(b, 1) else ast.BinOp("*", a, b, None)


def _sum(terms):
    terms = [t for t in terms if not _is(t, 0)]
    return reduce(lambda a, b: ast.BinOp("+", a, b, None), terms) if terms else _ZERO


def _shape(e) -> str:
    if isinstance(e, _Tex):
        return e.kind
    if isinstance(e, ast.BinOp):
        return {"+": "sum", "-": "sum", "*": "prod", "/": "frac", "^": "pow"}[e.op]
    if isinstance(e, ast.Neg) or (isinstance(e, ast.Num) and e.value < 0):
        return "neg"
    f = FUNCTIONS.get(e.func) if isinstance(e, ast.Call) else None
    return "pow" if f is not None and f.latex_power else "atom"


def _paren(text: str) -> str:
    return r"\left(" + text + r"\right)"


def _ends_in_partial(e) -> bool:
    while isinstance(e, ast.BinOp) and e.op == "*":
        e = e.right
    return isinstance(e, _Tex) and e.kind == "partial"


def _power(base, base_text: str, exponent: str) -> str:
    return (base_text if _shape(base) == "atom" else _paren(base_text)) + "^{" + exponent + "}"


def _symbol(key: tuple) -> sp.Symbol:
    """The symbol of a definition or process term in the compiler's dependency graph."""
    if key[0] == "let":
        return sp.Symbol(key[1])
    if key[0] == "rate":
        return rate_symbol(key[1])
    if key[0] == "jump":
        return jump_symbol(key[1], key[2])
    return drift_symbol(key[1]) if key[0] == "drift" else vol_symbol(key[1], key[2])


class Printer:
    """The model's definitions, equations and boundaries in LaTeX."""

    def __init__(self, system: System):
        self.model = model = system.model
        self.graph = system.graph
        self.nodes: dict[tuple, ast.Expr] = {
            ("let", d.name): d.expr for d in model.definitions.values()
        }
        for p in model.processes.values():
            if p.drift is not None:
                self.nodes[("drift", p.state)] = p.drift
            for k, e in p.vols.items():
                self.nodes[("vol", p.state, k)] = e
            for k, e in p.jumps.items():
                self.nodes[("jump", p.state, k)] = e
        for k, e in model.rates.items():
            self.nodes[("rate", k)] = e
        self.args = {u.name: frozenset(u.args) for u in model.unknowns}
        self.deps = dict.fromkeys(self.nodes, frozenset())
        changed = True
        while changed:  # the states each definition depends on, through the unknowns
            changed = False
            for key, e in self.nodes.items():
                found = self.states_of(e)
                changed |= found != self.deps[key]
                self.deps[key] = found

    # dependencies -----------------------------------------------------------------------------
    def terms(self, call: ast.Call, states) -> list[tuple]:
        """The process terms an operator brings in, for f of `states` (None: all): `vol(f, Z)`
        the vols on Z, `jump(f, N)` the jumps of N, `rate(N)` the rate, `drift(f)` all."""
        shock = call.args[-1].id if call.func in ("vol", "jump", "rate") else None
        return [
            k
            for k in self.nodes
            if k[0] != "let"
            and (k[0] == "rate" or states is None or k[1] in states)
            and (call.func == "drift" or (k[0] == call.func and k[-1] == shock))
        ]

    def states_of(self, e: ast.Expr) -> frozenset[str]:
        found = set()
        for n in ast.names_in(e):
            if n.id in self.model.state_names:
                found.add(n.id)
            found |= self.args.get(n.id, self.deps.get(("let", n.id), frozenset()))
        for c in ast.calls_in(e):
            if c.func in ("vol", "drift", "jump", "rate"):
                for k in self.terms(c, None if c.func == "rate" else self.states_of(c.args[0])):
                    found |= self.deps[k]
        return frozenset(found)

    def groups(self) -> list[tuple[list[tuple], bool]]:
        """Strongly connected groups of the compiler's dependency graph, each with whether it is
        a cycle, in dependency order and otherwise in declaration order (definitions, then
        process terms)."""
        key = {_symbol(k): k for k in self.nodes}
        return [
            ([key[s] for s in g], self.graph.cyclic(g)) for g in self.graph.in_declaration_order()
        ]

    # operators --------------------------------------------------------------------------------
    @staticmethod
    def lhs(key: tuple) -> str:
        """A definition's name, or μ^x, σ^x_Z, J^x_N for the process terms of state x, λ_N for
        the rate of the Poisson shock N."""
        if key[0] == "let":
            return name(key[1])
        if key[0] == "rate":
            return r"\lambda_{" + name(key[1]) + "}"
        if key[0] == "jump":
            return "J^{" + name(key[1]) + "}_{" + name(key[2]) + "}"
        if key[0] == "drift":
            return r"\mu^{" + name(key[1]) + "}"
        return r"\sigma^{" + name(key[1]) + "}_{" + name(key[2]) + "}"

    def partial(self, f: ast.Expr, alpha: tuple[str, ...]):
        """∂^alpha f: 0 or 1 for states and parameters, else the derivative of the named f."""
        if isinstance(f, ast.Name) and (
            f.id in self.model.parameters or f.id in self.model.state_names
        ):
            return _ONE if alpha == (f.id,) else _ZERO
        if not set(alpha) <= self.states_of(f):
            return _ZERO
        counts = Counter(alpha)
        ops = "".join(
            r"\partial_{" + name(x) + "}" + (f"^{{{c}}}" if c > 1 else "")
            for x, c in sorted(counts.items(), key=lambda i: alpha.index(i[0]))
        )
        body = self.tex(f)
        return _Tex(ops + " " + (body if isinstance(f, ast.Name) else _paren(body)), "partial")

    def term(self, key: tuple) -> _Tex:
        return _Tex(self.lhs(key), "sup")

    def vol(self, call: ast.Call):
        return _sum(
            _times(self.term(k), self.partial(call.args[0], (k[1],)))
            for k in self.terms(call, self.states_of(call.args[0]))
        )

    def drift(self, f: ast.Expr):
        """Σ_x μ^x ∂_x f + ½ Σ_Z Σ_{x,y} σ^x_Z σ^y_Z ∂_x ∂_y f (each pair x ≠ y once, doubled)."""
        first = [
            _times(self.term(("drift", x)), self.partial(f, (x,)))
            for x in self.model.state_names
            if ("drift", x) in self.nodes
        ]
        second = []
        for z in self.model.shocks:
            xs = [("vol", x, z) for x in self.model.state_names if ("vol", x, z) in self.nodes]
            for i, kx in enumerate(xs):
                for ky in xs[i:]:
                    coef = (
                        ast.BinOp("^", self.term(kx), _TWO, None)
                        if kx == ky
                        else _times(_TWO, _times(self.term(kx), self.term(ky)))
                    )
                    second.append(_times(coef, self.partial(f, (kx[1], ky[1]))))
        jumps = [
            _times(self.term(("rate", k)), self.jump(f, k))
            for k in self.model.rates
            if self.moved(k) & self.states_of(f)
        ]
        return _sum(first + [_times(ast.BinOp("/", _ONE, _TWO, None), _sum(second))] + jumps)

    def moved(self, shock: str) -> set[str]:
        return {k[1] for k in self.nodes if k[0] == "jump" and k[2] == shock}

    def jump(self, f: ast.Expr, shock: str):
        """f after an arrival of `shock` less f: each moved state x written x + J^x_N, each named
        quantity of a moved state evaluated at the jumped point."""
        moved = self.moved(shock)
        after = {x: name(x) + " + " + self.lhs(("jump", x, shock)) for x in moved}

        def sub(e, args):
            if isinstance(e, ast.Name):
                if e.id in moved:
                    return _Tex(_paren(after[e.id]), "atom")
                states = self.args.get(e.id, self.deps.get(("let", e.id), frozenset()))
                if states & moved:
                    inner = ", ".join(after.get(x, name(x)) for x in self.model.state_names)
                    return _Tex(name(e.id) + _paren(inner) if states else name(e.id), "atom")
                return e
            return self.rebuilt(e, args)

        return ast.BinOp("-", self.expand(ast.fold(f, sub, operands)), self.expand(f), None)

    @staticmethod
    def rebuilt(e, args):
        if isinstance(e, ast.Neg):
            return ast.Neg(args[0], None)
        if isinstance(e, ast.BinOp):
            return ast.BinOp(e.op, *args, None)
        if isinstance(e, ast.Call) and e.func not in OPERATORS:
            return ast.Call(e.func, tuple(args), None, None)
        return e

    def expand(self, e):
        """`e` with `d`, `vol` and `drift` written out."""
        return ast.fold(e, self.expanded, operands)

    def expanded(self, e, args):
        """One node of `expand`, from its children's expansions (an operator from its own)."""
        if isinstance(e, ast.Neg):
            return ast.Neg(args[0], None)
        if isinstance(e, ast.BinOp):
            return ast.BinOp(e.op, *args, None)
        if not isinstance(e, ast.Call):
            return e
        if e.func == "d":
            return self.partial(e.args[0], tuple(x.id for x in e.args[1:]))
        if e.func == "vol":
            return self.vol(e)
        if e.func == "drift":
            return self.drift(e.args[0])
        if e.func == "jump":
            return self.jump(e.args[0], e.args[1].id)
        if e.func == "rate":
            return self.term(("rate", e.args[0].id))
        return ast.Call(e.func, tuple(args), None, None)

    # printing ---------------------------------------------------------------------------------
    def tex(self, e: ast.Expr) -> str:
        return ast.fold(self.expand(e), _render)


def _render(e, args: list[str]) -> str:
    """One node of an expanded expression in LaTeX, from its children's."""
    if isinstance(e, _Tex):
        return e.text
    if isinstance(e, ast.Num):
        text = number(abs(e.value))
        if "e" in text:
            mantissa, exp = text.split("e")
            text = rf"{mantissa} \cdot 10^{{{int(exp)}}}"
        return ("-" if e.value < 0 else "") + text
    if isinstance(e, ast.Name):
        return name(e.id)
    if isinstance(e, ast.Neg):
        return "-" + (_paren(args[0]) if _shape(e.operand) in ("sum", "neg") else args[0])
    if isinstance(e, ast.Call):
        return FUNCTIONS[e.func].latex(args)
    left, right = args
    if e.op == "/":
        return r"\frac{" + left + "}{" + right + "}"
    if e.op == "*" and e.left == e.right:
        return _power(e.left, left, "2")
    if e.op == "^":
        return _power(e.left, left, right)
    if e.op == "*":
        left = _paren(left) if _shape(e.left) == "sum" else left
        right = _paren(right) if _shape(e.right) == "sum" or right.startswith("-") else right
        dot = right[0].isdigit() or _ends_in_partial(e.left)
        return left + (r" \cdot " if dot else " ") + right
    wrap = ("neg",) if e.op == "+" else ("sum", "neg")
    if _shape(e.right) in wrap or right.startswith("-"):
        right = _paren(right)
    return f"{left} {e.op} {right}"


def tag(text: str) -> str:
    return r"\text{(" + text.replace("_", r"\_") + ")}"
