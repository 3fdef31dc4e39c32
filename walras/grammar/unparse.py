"""Syntax tree back to `.econ` text: minimal parentheses, documentation kept, statements grouped
(model, parameters, shocks, economy, states, processes, unknowns, definitions, equations,
boundaries, guesses, solver settings). `parse(unparse(m))` equals `m` up to statement order and
spans."""

from __future__ import annotations

import math

from . import ast

# `(a < b)`: a 0/1 indicator, parsed as a `Call` named by its sign
COMPARISONS = ("==", "!=", "<=", ">=", "<", ">")

# binding strength: sums 1, products 2, unary minus 3, powers 4, atoms 5
_BIN = {"+": 1, "-": 1, "*": 2, "/": 2, "^": 4}


def _prec(e: ast.Expr) -> int:
    if isinstance(e, ast.BinOp):
        return _BIN[e.op]
    if isinstance(e, ast.Neg) or (isinstance(e, ast.Num) and e.value < 0):
        return 3
    return 5


def number(v: float) -> str:
    if math.isinf(v):  # a literal too large for a float (1e400): it reads back as infinity
        return "1e999"
    if v == int(v) and abs(v) < 1e15:
        return str(int(v))
    return repr(float(v))


def expr(e: ast.Expr) -> str:
    """An expression with only the parentheses the grammar needs to read it back the same."""
    return ast.fold(e, _text)


def _text(e: ast.Expr, args: list[str]) -> str:
    """One node's text from its children's."""
    if isinstance(e, ast.Num):
        return number(e.value) if e.value >= 0 else "-" + number(-e.value)
    if isinstance(e, ast.Name):
        return e.id
    if isinstance(e, ast.Call) and e.func in COMPARISONS:
        return f"({args[0]} {e.func} {args[1]})"
    if isinstance(e, ast.Call):
        return f"{e.func}({', '.join(args)})"
    if isinstance(e, ast.Neg):
        return "-" + _at_least(e.operand, args[0], 3)
    if isinstance(e, ast.BinOp):
        left, right = args
        if e.op == "^":
            return f"{_at_least(e.left, left, 5)}^{_at_least(e.right, right, 3)}"
        p = _BIN[e.op]
        sep = f" {e.op} " if p == 1 else e.op
        return f"{_at_least(e.left, left, p)}{sep}{_at_least(e.right, right, p + 1)}"
    raise TypeError(f"not an expression: {e!r}")


def _at_least(e: ast.Expr, text: str, p: int) -> str:
    return text if _prec(e) >= p else f"({text})"


def _doc(doc: str | None) -> str:
    return f'  "{doc}"' if doc else ""


def _bound(b: ast.Bound | None) -> str:
    if b is None:
        return ""
    if b.lo is not None and b.hi is not None:
        return f" in [{expr(b.lo)}, {expr(b.hi)}]"
    return f" > {expr(b.lo)}" if b.lo is not None else f" < {expr(b.hi)}"


def _control_bound(c: ast.ControlDecl) -> str:
    if c.lo is not None and c.hi is not None:
        return f" in [{expr(c.lo)}, {expr(c.hi)}]"
    if c.lo is not None:
        return f" {'>=' if c.binding else '>'} {expr(c.lo)}"
    return f" {'<=' if c.binding else '<'} {expr(c.hi)}" if c.hi is not None else ""


def _option(o: ast.Option) -> str:
    return f'{o.key} = "{o.value}"' if isinstance(o.value, str) else f"{o.key} = {expr(o.value)}"


def _process_fields(p: ast.ProcessDecl) -> str:
    fields = [f"drift = {expr(p.drift)}"] if p.drift is not None else []
    fields += [f"vol[{v.shock}] = {expr(v.expr)}" for v in p.vols]
    fields += [f"jump[{v.shock}] = {expr(v.expr)}" for v in p.jumps]
    return ", ".join(fields)


def statement(s) -> str:
    """One statement as a line of `.econ` text."""
    if isinstance(s, ast.ModelDecl):
        return f"model {s.name}" + (f' "{s.title}"' if s.title else "")
    if isinstance(s, ast.ParamDecl):
        return f"parameter {s.name} = {expr(s.value)}{_doc(s.doc)}"
    if isinstance(s, ast.StateDecl) and s.simplex:
        return f"state {', '.join(s.simplex)} in simplex{_doc(s.doc)}"
    if isinstance(s, ast.StateDecl) and s.values is not None:
        return f"state {s.name} in {{{', '.join(expr(v) for v in s.values)}}}{_doc(s.doc)}"
    if isinstance(s, ast.StateDecl):
        return f"state {s.name} in [{expr(s.lo)}, {expr(s.hi)}]{_doc(s.doc)}"
    if isinstance(s, ast.ShockDecl) and s.rate is not None:
        return f"shock {s.name}: poisson, rate = {expr(s.rate)}{_doc(s.doc)}"
    if isinstance(s, ast.ShockDecl):
        return f"shock {s.name}{_doc(s.doc)}"
    if isinstance(s, ast.ProcessDecl):
        return f"process {s.state}: {_process_fields(s)}{_doc(s.doc)}"
    if isinstance(s, ast.UnknownDecl):
        return f"unknown {s.name}({', '.join(a.id for a in s.args)}){_bound(s.bound)}{_doc(s.doc)}"
    if isinstance(s, ast.LetDecl):
        return f"let {s.name} = {expr(s.expr)}{_doc(s.doc)}"
    if isinstance(s, ast.ControlDecl):
        return f"control {s.name}{_control_bound(s)}{_doc(s.doc)}"
    if isinstance(s, ast.EquationDecl):
        over = f"max({', '.join(expr(x) for x in s.over)}): " if s.over else ""
        return f"equation {s.name}: {expr(s.lhs)} = {over}{expr(s.rhs)}{_doc(s.doc)}"
    if isinstance(s, ast.ComplementarityDecl):
        return (
            f"equation {s.name}: {expr(s.lhs)} {s.op} {expr(s.rhs)}  perp  {expr(s.var)} "
            f"{s.var_op} {expr(s.bound)}{_doc(s.doc)}"
        )
    if isinstance(s, ast.BoundaryDecl):
        return (
            f"boundary at {s.state.id} = {expr(s.at)}: {expr(s.lhs)} {s.op} {expr(s.rhs)}"
            f"{_doc(s.doc)}"
        )
    if isinstance(s, ast.BeyondDecl):
        return (
            f"beyond {s.state.id} {s.side} {expr(s.at)}: {expr(s.lhs)} = {expr(s.rhs)}{_doc(s.doc)}"
        )
    if isinstance(s, ast.GuessDecl):
        return f"guess {s.unknown.id} = {expr(s.expr)}{_doc(s.doc)}"
    if isinstance(s, ast.SolverDecl):
        return "solver " + ", ".join(_option(o) for o in s.options)
    if isinstance(s, ast.WeightDecl):
        return "weight " + ", ".join(_option(o) for o in s.options)
    if isinstance(s, ast.EndowmentDecl):
        p = s.process
        return f"endowment {p.state}: {_process_fields(p)}{_doc(p.doc)}"
    if isinstance(s, ast.AssetDecl):
        fields = (
            (["riskless"] if s.riskless else [])
            + ([f"dividend = {expr(s.dividend)}"] if s.dividend is not None else [])
            + ([f"supply = {expr(s.supply)}"] if s.supply is not None else [])
            + ([f"capital = {s.capital.id}"] if s.capital is not None else [])
        )
        return f"asset {s.name}: {', '.join(fields)}{_doc(s.doc)}"
    if isinstance(s, ast.AgentDecl):
        fields = []
        if s.utility is not None:
            args = f"({', '.join(expr(a) for a in s.utility.args)})" if s.utility.args else ""
            fields.append(f"utility = {s.utility.kind}{args}")
        if s.discount is not None:
            fields.append(f"discount = {expr(s.discount)}")
        fields.append(f"trades = [{', '.join(t.id for t in s.trades)}]")
        fields += [
            f"{k} = {expr(v)}"
            for k, v in (
                ("productivity", s.productivity),
                ("depreciation", s.depreciation),
                ("labor", s.labor),
            )
            if v is not None
        ]
        return f"agent {s.name}{_array(s.array)}: {', '.join(fields)}{_doc(s.doc)}"
    if isinstance(s, ast.CapitalDecl):
        fields = [
            f"{k} = {expr(v)}"
            for k, v in (("investment", s.investment), ("depreciation", s.depreciation))
            if v is not None
        ] + [f"vol[{v.shock}] = {expr(v.expr)}" for v in s.vols]
        fields += [f"output = {expr(s.output)}"] if s.output is not None else []
        return f"capital {s.name}: {', '.join(fields)}{_doc(s.doc)}"
    if isinstance(s, ast.ChainDecl):
        rates = "".join(
            f", rate[{expr(r.source)}, {expr(r.target)}] = {expr(r.rate)}" for r in s.rates
        )
        values = ", ".join(expr(v) for v in s.values)
        return f"chain {s.name}: values = [{values}]{rates}{_doc(s.doc)}"
    if isinstance(s, ast.ConstraintDecl):
        return f"constraint {s.agent.id}: share({s.asset.id}) {s.op} {expr(s.bound)}{_doc(s.doc)}"
    raise TypeError(f"cannot print a {type(s).__name__}")


def _array(a: ast.AgentArray | None) -> str:
    """An agent array's brackets: `[10]`, or `[i in 1:10]` with its index."""
    if a is None:
        return ""
    if a.index is None:
        return f"[{expr(a.last)}]"
    return f"[{a.index.id} in {expr(a.first)}:{expr(a.last)}]"


_GROUPS = (
    (ast.ModelDecl,),
    (ast.ParamDecl,),
    (ast.ShockDecl,),
    (
        ast.EndowmentDecl,
        ast.CapitalDecl,
        ast.ChainDecl,
        ast.AssetDecl,
        ast.AgentDecl,
        ast.ConstraintDecl,
    ),
    (ast.StateDecl,),
    (ast.ProcessDecl,),
    (ast.UnknownDecl, ast.ControlDecl),
    (ast.LetDecl,),
    (ast.EquationDecl, ast.ComplementarityDecl),
    (ast.BoundaryDecl, ast.BeyondDecl),
    (ast.GuessDecl,),
    (ast.SolverDecl, ast.WeightDecl),
)


def _leads(s) -> bool:
    """A simplex is printed once, at its first member."""
    return not (isinstance(s, ast.StateDecl) and s.simplex and s.simplex[0] != s.name)


def unparse(module: ast.Module) -> str:
    """The module as `.econ` text, one statement a line, groups separated by blank lines."""
    blocks = []
    for kinds in _GROUPS:
        lines = [statement(s) for s in module.statements if isinstance(s, kinds) and _leads(s)]
        if lines:
            blocks.append("\n".join(lines))
    rest = [s for s in module.statements if not any(isinstance(s, k) for g in _GROUPS for k in g)]
    blocks.extend(statement(s) for s in rest)
    return "\n\n".join(blocks) + "\n"
