"""Printing the derived system: LaTeX for checking against a paper, sympy text, or `.econ`.

The LaTeX is the model as a researcher writes it: each definition once, in dependency order and
in the form it was declared (by the author or the economy layer), with `d`, `vol` and `drift`
written out by Itô's lemma in derivatives of the named quantities (`vol(pd, Z)` is
σ^η_Z ∂_η pd); the members of a cycle are printed as their defining equations, noted as solved
jointly. `sympy_text` prints the compiler's own, fully expanded system.
"""

from __future__ import annotations

from ..grammar.unparse import number
from .system import Assign, ControlSolve, CurvatureStep, JumpSum, PlaceSum, System
from .tex import Printer, name, tag

KINDS = ("latex", "sympy", "econ")

LEGEND = (
    r"% \partial_x f: derivative of f with respect to the state x; \mu^x, \sigma^x_Z: drift "
    r"and volatility of x; vol(f, Z) = \sum_x \sigma^x_Z \partial_x f, drift(f) = \sum_x "
    r"\mu^x \partial_x f + \frac{1}{2} \sum_Z \sum_{x,y} \sigma^x_Z \sigma^y_Z "
    r"\partial_x \partial_y f"
)
JUMP_LEGEND = (
    r"% with Poisson shocks N, drift(f) adds \sum_N \lambda_N (f(x + J_N) - f(x)); J^x_N: the "
    r"jump of x at an arrival of N, \lambda_N its rate"
)


def latex(system: System) -> str:
    """The model in an `align` environment; see the module docstring."""
    m = system.model
    p = Printer(system)
    rows = []
    controls = {c.name for c in m.controls}
    hjbs = {e.name: e for e in m.equations}
    implicit = {c: hjbs[i.equation] for i in m.implicit for c in i.controls}
    for group, cyclic in p.groups():
        for i, key in enumerate(group):
            if key[0] == "let" and key[1] in implicit:
                hjb = implicit[key[1]]
                row = (
                    f"{p.lhs(key)} &= \\arg\\max_{{{name(key[1])}}} \\left\\{{ "
                    f"{p.tex(hjb.rhs)} \\right\\}} && \\text{{(Newton's method per point)}}"
                )
            else:
                row = f"{p.lhs(key)} &= {p.tex(p.nodes[key])}"
            if key[0] == "let" and key[1] in controls and key[1] not in implicit:
                row += r" && \text{(first-order condition)}"
            if cyclic and i == 0:
                row += (
                    r" && \text{(solved jointly for } "
                    + ", ".join(p.lhs(k) for k in group)
                    + r"\text{)}"
                )
            rows.append(row)
    for e in m.equations:
        if e.is_complementarity:
            op = r"\le" if e.op == "<=" else r"\ge"
            rows.append(
                f"{p.tex(e.lhs)} &{op} {p.tex(e.rhs)} \\quad\\perp\\quad "
                f"{p.tex(e.var)} {op} {p.tex(e.bound)} && {tag(e.name)}"
            )
        elif e.over:
            over = ", ".join(name(c) for c in e.over)
            rows.append(
                f"{p.tex(e.lhs)} &= \\max_{{{over}}} \\left\\{{ {p.tex(e.rhs)} \\right\\}} "
                f"&& {tag(e.name)}"
            )
        else:
            rows.append(f"{p.tex(e.lhs)} &= {p.tex(e.rhs)} && {tag(e.name)}")
    for b in m.boundaries:
        where = f"\\text{{at }} {name(b.state)} = {number(b.at)}"
        c = b.constraint
        if c is not None and c.control is not None:
            op, bound = (r"\ge", r"\le") if c.op == ">=" else (r"\le", r"\ge")
            rows.append(
                f"{p.tex(c.drift)} &{op} 0 && {where}\\text{{: {c.equation} with }} "
                f"{name(c.control)} {bound if c.upper else op} {p.tex(c.bound)}"
            )
            continue
        rows.append(f"{p.tex(b.lhs)} &= {p.tex(b.rhs)} && {where}")
    unknowns = ", ".join(
        name(u.name) + (f"({', '.join(name(a) for a in u.args)})" if u.args else "")
        for u in m.unknowns
    )
    legend = LEGEND + ("\n" + JUMP_LEGEND if m.rates else "")
    return (
        f"{legend}\n% unknowns: {unknowns}\n\\begin{{align}}\n"
        + " \\\\\n".join(rows)
        + "\n\\end{align}\n"
    )


def sympy_text(system: System) -> str:
    out = [
        f"# {system.model.name}: derived system (atoms: states, unknowns u, u__x = du/dx, "
        "u__curv__Z = second derivative of u along vol[Z])"
    ]
    for step in system.steps:
        if isinstance(step, Assign):
            out.append(f"{step.symbol} = {step.expr}")
        elif isinstance(step, CurvatureStep):
            out.append(
                f"{step.symbol} = <nested JVP of {step.atom.unknown} along vol[{step.atom.shock}]>"
            )
        elif isinstance(step, JumpSum | PlaceSum):
            out.append(f"{step.symbol} = {step.written_out}")
        elif isinstance(step, ControlSolve):
            out.append(f"{list(step.symbols)} = newton(0 = {list(step.focs)})")
        else:
            out.append(f"{list(step.symbols)} = solve({step.A.tolist()}, {list(step.b)})")
    for r in system.residuals:
        out.append(
            f"equation {r.name}: "
            + (f"0 = {r.expr}" if not r.is_complementarity else f"0 <= {r.a}  perp  0 <= {r.b}")
        )
    for b in system.boundaries:
        out.append(f"boundary {b.name} ({b.state} = {b.at:g}): 0 = {b.expr}")
    if system.cycles:
        out.append("# solved cycles: " + "; ".join(", ".join(c) for c in system.cycles))
    return "\n".join(out) + "\n"


def emit(system: System, kind: str) -> str:
    """The derived system as LaTeX or sympy text (`.econ` output is the unparsed lowered model)."""
    return {"latex": latex, "sympy": sympy_text}[kind](system)
