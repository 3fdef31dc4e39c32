"""Controls: an HJB `lhs = max(c, ...): H` becomes the ordinary equation `lhs = H` with each
control a definition, its optimum. The first-order conditions ∂H/∂c = 0 are derived and solved
with sympy (jointly for several controls), in the derivatives of the unknowns, the states and the
parameters; a constraint `c >= lo`, `c <= hi` or `c in [lo, hi]` clips the root, which for a
maximand concave in c is the solution of the Kuhn-Tucker conditions (∂H/∂c ⊥ the bound)."""

from __future__ import annotations

import dataclasses
import math

import sympy as sp

from ..grammar import ast
from ..grammar.diagnostics import Collector
from . import ito, symbolic
from .economy_ast import Builder, from_sympy
from .model import Control, Definition, Equation, Implicit, Model, Parameter, frozen


def optimise(model: Model, out: Collector) -> Model:
    """The model with each control defined as its optimum; errors go to `out`."""
    hjbs = [e for e in model.equations if e.over]
    if not hjbs:
        return model
    controls = {c.name: c for c in model.controls}
    builder = probe(model)
    found, implicit = {}, []
    for e in hjbs:
        chosen = [controls[c] for c in e.over]
        optimum = _Optimum(builder, model, e, chosen, out).solve()
        if isinstance(optimum, Implicit):
            implicit.append(optimum)
            found.update({c.name: ast.Num(math.nan, c.span) for c in chosen})
        else:
            found.update(optimum or {})
    if len(found) != len(controls):
        return model
    definitions = {
        c.name: Definition(c.name, found[c.name], c.doc, c.span) for c in model.controls
    } | dict(model.definitions)
    return dataclasses.replace(model, definitions=frozen(definitions), implicit=tuple(implicit))


def probe(model: Model) -> symbolic._Builder:
    """The symbolic stage of the model with its controls as free symbols (so that every
    expression is defined), run."""
    controls = {c.name: Parameter(c.name, 1.0, None, c.span) for c in model.controls}
    builder = symbolic._Builder(
        dataclasses.replace(model, parameters=frozen({**model.parameters, **controls}))
    )
    builder.run()
    return builder


def written(builder: symbolic._Builder, value: sp.Expr, span) -> ast.Expr:
    """A sympy expression of the probe's atoms as an expression of the language, each atom
    written `d(u, x)`; ValueError where it has another atom or a function the language lacks."""
    b = Builder(span)
    atoms = {}
    for s in value.free_symbols:
        m = builder.atoms.meaning.get(s)
        if isinstance(m, ito.Partial):
            u = b.name(m.unknown)
            atoms[s.name] = b.call("d", u, *(b.name(x) for x in m.alpha)) if m.alpha else u
        elif m is not None:
            raise ValueError(f"{s} is not a derivative of an unknown")
    return _replace(from_sympy(value, b).e, atoms)


class _Optimum:
    """The first-order conditions of one HJB, solved for its controls."""

    def __init__(self, builder, model: Model, equation: Equation, controls: list[Control], out):
        self.builder, self.model, self.eq, self.controls, self.out = (
            builder,
            model,
            equation,
            controls,
            out,
        )
        self.values = {sp.Symbol(k): v for k, v in model.params.items()}

    def error(self, code: str, message: str, hint: str | None = None, span=None):
        self.out.error(code, message, span or self.eq.span, hint)

    def solve(self) -> dict[str, ast.Expr] | Implicit | None:
        names = [c.name for c in self.controls]
        H = self.builder.convert(self.eq.rhs, atomic=True)
        if self.hidden(H, {sp.Symbol(n) for n in names}):
            return None
        dummies = {
            sp.Symbol(c.name): sp.Dummy(
                c.name, positive=True if c.lo is not None and c.lo >= 0 else None, real=True
            )
            for c in self.controls
        }
        H = H.xreplace(dummies)
        xs = list(dummies.values())
        for c, x in zip(self.controls, xs):
            if x not in H.free_symbols:
                self.error(
                    "E162",
                    f"the maximand of '{self.eq.name}' does not depend on the control '{c.name}'",
                    "write the control into the right side of the HJB",
                    c.span,
                )
                return None
        if self.kinked(H, dict(zip(xs, self.controls))):
            return None
        hessian = sp.hessian(H, xs)
        if not self.concave(hessian):
            return None
        if any(c.binding for c in self.controls) and len(xs) > 1:
            coupled = any(hessian[i, j] != 0 for i in range(len(xs)) for j in range(i))
            if coupled:
                self.error(
                    "E164",
                    f"bounds on controls that '{self.eq.name}' chooses jointly and that interact "
                    "in its maximand",
                    "bound only controls that enter the maximand separately",
                )
                return None
        focs = [sp.diff(H, x) for x in xs]
        try:
            roots = sp.solve(focs, xs, dict=True)
        except NotImplementedError:
            roots = []
        roots = [r for r in roots if set(r) == set(xs) and self.admissible(r, xs, hessian)]
        if len(roots) > 1:
            self.error(
                "E163",
                f"the first-order conditions of '{self.eq.name}' for "
                f"{', '.join(repr(n) for n in names)} have {len(roots)} solutions",
                "declare a bound, such as 'control c > 0', that picks the root",
            )
            return None
        back = {x: sp.Symbol(n) for x, n in zip(xs, names)}
        if not roots:
            return self.implicit([f.xreplace(back) for f in focs])
        meaning = self.builder.atoms.meaning
        for value in roots[0].values():
            if any(
                s in meaning and not isinstance(meaning[s], ito.Partial) for s in value.free_symbols
            ):
                self.error(
                    "E163",
                    f"the optimum of '{self.eq.name}' depends on a value after a jump or a "
                    "second derivative along a volatility, which walras cannot write out",
                    "write the maximand's terms in the controls with 'd(V, x)' and 'd(V, x, x)'",
                )
                return None
        try:
            return {c.name: self.expression(c, roots[0][x]) for c, x in zip(self.controls, xs)}
        except ValueError:  # a root the language cannot write (LambertW): solved per point
            return self.implicit([f.xreplace(back) for f in focs])

    def implicit(self, focs: list[sp.Expr]) -> Implicit | None:
        """First-order conditions without a closed form, for Newton's method at each point."""
        meaning = self.builder.atoms.meaning
        atoms = set().union(*(f.free_symbols for f in focs)) & set(meaning)
        if any(not isinstance(meaning[a], ito.Partial) for a in atoms):
            self.error(
                "E163",
                f"the first-order conditions of '{self.eq.name}' have no closed form and depend "
                "on a value after a jump or a second derivative along a volatility",
                "write the maximand's terms in the controls with 'd(V, x)' and 'd(V, x, x)'",
            )
            return None
        convert = lambda e: None if e is None else self.builder.convert(e)  # noqa: E731
        return Implicit(
            self.eq.name,
            tuple(c.name for c in self.controls),
            tuple(focs),
            tuple(sorted(((a, meaning[a]) for a in atoms), key=lambda p: str(p[0]))),
            tuple(convert(c.limits[0]) if c.binding else None for c in self.controls),
            tuple(convert(c.limits[1]) if c.binding else None for c in self.controls),
            tuple(c.lo is not None and c.lo >= 0 and not c.binding for c in self.controls),
        )

    def kinked(self, H: sp.Expr, controls: dict) -> bool:
        """A control inside abs, min, max or a sign (E163): the maximand has no derivative where
        its argument changes sign, and sympy's first-order condition would take one branch for
        all (a cost |i| of trading, a no-trade band at i = 0)."""
        found = False
        kinks = H.atoms(sp.Abs, sp.Min, sp.Max, sp.sign, sp.Heaviside, sp.Piecewise)
        for x, control in controls.items():
            inside = sorted(
                _written(k.xreplace({x: sp.Symbol(control.name)}))
                for k in kinks
                if x in k.free_symbols
            )
            if inside:
                found = True
                self.error(
                    "E163",
                    f"the maximand of '{self.eq.name}' is not differentiable in the control "
                    f"'{control.name}' (it enters {inside[0]}): a first-order condition would "
                    "take one side of the kink everywhere",
                    "write the optimum in closed form as a 'let' with min and max (the soft "
                    "threshold where |x| enters linearly), or bound the control so that the "
                    "kink is outside its range ('control c > 0' makes abs(c) = c)",
                )
        return found

    def hidden(self, H: sp.Expr, controls: set[sp.Symbol]) -> bool:
        """A second derivative along a volatility, or a jump, that moves with a control: its
        atom hides the control from the first-order condition."""
        b = self.builder
        for a in H.free_symbols:
            m = b.atoms.meaning.get(a)
            if isinstance(m, ito.Curvature):
                terms, what = b.vols[m.shock].values(), f"the volatility of shock {m.shock}"
            elif isinstance(m, ito.Jumped):
                terms, what = b.sizes[m.shock].values(), f"the jump at {m.shock}"
            else:
                continue
            if any(b.atomic(t).free_symbols & controls for t in terms):
                self.error(
                    "E165",
                    f"{what} depends on a control inside 'drift' or 'vol' in '{self.eq.name}'",
                    "write the maximand's second-order terms with 'd(V, x, x)' and the control "
                    "in the coefficients",
                )
                return True
        return False

    def concave(self, hessian: sp.Matrix) -> bool:
        """False (with E162) where the maximand is decidably not concave in a control."""
        for c, i in zip(self.controls, range(hessian.shape[0])):
            h = sp.simplify(hessian[i, i].xreplace(self.values))
            if h.is_zero or h.is_positive:
                self.error(
                    "E162",
                    f"the maximand of '{self.eq.name}' is "
                    + ("linear" if h.is_zero else "convex")
                    + f" in the control '{c.name}': it has no interior maximum",
                    "the maximand must be strictly concave in each control "
                    "(e.g. a utility of consumption, a convex adjustment cost)",
                    c.span,
                )
                return False
        return True

    def admissible(self, root: dict, xs: list, hessian: sp.Matrix) -> bool:
        """A root that is not decidably complex, outside a strict bound, or a minimum."""
        for c, x in zip(self.controls, xs):
            v = root[x].xreplace(self.values)
            if v.is_real is False:
                return False
            if (
                c.lo is not None
                and (v - c.lo).is_negative
                or c.hi is not None
                and (v - c.hi).is_positive
            ):
                return False
        h = hessian.xreplace(root).xreplace(self.values)
        return not any(h[i, i].is_positive for i in range(h.shape[0]))

    def expression(self, control: Control, value: sp.Expr) -> ast.Expr:
        """The optimum as an expression of the language: atoms written as `d(u, x)`, clipped
        to binding bounds."""
        optimum = written(self.builder, value, control.span)  # ValueError: not writable
        lo, hi = control.limits if control.binding else (None, None)
        if lo is not None:
            optimum = ast.Call("max", (optimum, lo), control.span, control.span)
        if hi is not None:
            optimum = ast.Call("min", (optimum, hi), control.span, control.span)
        return optimum


def _written(e: sp.Expr) -> str:
    """A sympy expression as the language writes its functions (abs, min, max)."""
    text = str(e)
    for name in ("Abs", "Min", "Max"):
        text = text.replace(f"{name}(", f"{name.lower()}(")
    return text


def _replace(e: ast.Expr, names: dict) -> ast.Expr:
    """`e` with the names in `names` replaced by their expressions."""

    def rebuild(node, kids):
        if isinstance(node, ast.Name):
            return names[node.id].e if node.id in names else node
        if isinstance(node, ast.Neg):
            return ast.Neg(kids[0], node.span)
        if isinstance(node, ast.BinOp):
            return ast.BinOp(node.op, kids[0], kids[1], node.span)
        if isinstance(node, ast.Call):
            return ast.Call(node.func, tuple(kids), node.span, node.func_span)
        return node

    return ast.fold(e, rebuild)
