"""Printing the derived system: LaTeX for checking against a paper, sympy text, or `.econ`."""

from __future__ import annotations

import sympy as sp

from . import ito
from .symbolic import Assign, CurvatureStep, LinearSolve, System

KINDS = ("latex", "sympy", "econ")


def _latex_names(system: System) -> dict[sp.Symbol, str]:
    """Readable LaTeX for the compiler's own symbols (derivative atoms, process terms)."""
    names = {}
    tex = lambda s: sp.latex(sp.Symbol(s))
    for sym, m in system.atoms.meaning.items():
        if isinstance(m, ito.Partial):
            names[sym] = (tex(m.unknown) if not m.alpha else
                          r"\partial_{" + " ".join(tex(a) for a in m.alpha) + "} " + tex(m.unknown))
        else:
            inner = tex(m.unknown) if not m.alpha else \
                r"\partial_{" + " ".join(tex(a) for a in m.alpha) + "} " + tex(m.unknown)
            names[sym] = r"\mathcal{H}_{" + tex(m.shock) + "} " + inner
    for state, sym in system.atoms.state_symbols.items():
        names[sym] = tex(state)
    for state in system.model.processes:
        names[sp.Symbol(f"drift__{state}")] = r"\mu^{" + tex(state) + "}"
    for shock, vols in system.vols.items():
        for state, sym in vols.items():
            names[sym] = r"\sigma^{" + tex(state) + "}_{" + tex(shock) + "}"
    return names


def _label(sym: sp.Symbol, names) -> str:
    return names.get(sym, sp.latex(sym))


def _tag(name: str) -> str:
    return r"\text{(" + name.replace("_", r"\_") + ")}"


def latex(system: System) -> str:
    names = _latex_names(system)
    show = lambda e: sp.latex(e, symbol_names=names)
    lines = []
    for step in system.steps:
        if isinstance(step, Assign):
            lines.append(f"{_label(step.symbol, names)} &= {show(step.expr)}")
        elif isinstance(step, LinearSolve):
            xs = sp.Matrix(step.symbols)
            lines.append(f"{show(step.A)} {show(xs)} &= {show(step.b)}")
    for r in system.residuals:
        if r.is_complementarity:
            lines.append(rf"0 &\le {show(r.a)} \perp {show(r.b)} \ge 0 && {_tag(r.name)}")
        else:
            lines.append(rf"0 &= {show(r.expr)} && {_tag(r.name)}")
    for b in system.boundaries:
        lines.append(rf"0 &= {show(b.expr)} && \text{{at }} {sp.latex(sp.Symbol(b.state))} = {b.at:g}")
    legend = (r"% \partial_x f: partial derivative; \mathcal{H}_Z f: second derivative of f along "
              r"the volatility vector of shock Z; \mu^x, \sigma^x_Z: drift and volatility of state x")
    return legend + "\n\\begin{align}\n" + " \\\\\n".join(lines) + "\n\\end{align}\n"


def sympy_text(system: System) -> str:
    out = [f"# {system.model.name}: derived system (atoms: states, unknowns u, u__x = du/dx, "
           "u__curv__Z = second derivative of u along vol[Z])"]
    for step in system.steps:
        if isinstance(step, Assign):
            out.append(f"{step.symbol} = {step.expr}")
        elif isinstance(step, CurvatureStep):
            out.append(f"{step.symbol} = <nested JVP of {step.atom.unknown} along vol[{step.atom.shock}]>")
        else:
            out.append(f"{list(step.symbols)} = solve({step.A.tolist()}, {list(step.b)})")
    for r in system.residuals:
        out.append(f"equation {r.name}: " + (f"0 = {r.expr}" if not r.is_complementarity else
                                             f"0 <= {r.a}  perp  0 <= {r.b}"))
    for b in system.boundaries:
        out.append(f"boundary {b.name} ({b.state} = {b.at:g}): 0 = {b.expr}")
    if system.cycles:
        out.append("# solved cycles: " + "; ".join(", ".join(c) for c in system.cycles))
    return "\n".join(out) + "\n"


def emit(system: System, kind: str) -> str:
    """The derived system as LaTeX or sympy text (`.econ` output is the unparsed lowered model)."""
    return {"latex": latex, "sympy": sympy_text}[kind](system)
