"""Text to syntax tree: the lark LALR parser, a Transformer that builds `ast` nodes, and the one
place where lark's exceptions become diagnostics."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from lark import Lark, Token, Transformer_NonRecursive, v_args
from lark import __version__ as lark_version
from lark.exceptions import UnexpectedInput, VisitError

from ..folders import root, writable
from . import ast
from .building import Doc, split_doc
from .diagnostics import Diagnostic, EconError, Source, Span
from .economy_builder import EconomyBuilder
from .factor_parser import FactorBuilder
from .files import read_text
from .syntax_errors import syntax_errors

GRAMMAR = Path(__file__).with_name("econ.lark")


@lru_cache(maxsize=1)
def _lark() -> Lark:
    """The parser; its tables are kept in the cache folder (lark checks them against a digest
    of the grammar and its options, and rebuilds them when they differ or do not load)."""
    return Lark.open(
        str(GRAMMAR),
        parser="lalr",
        propagate_positions=True,
        maybe_placeholders=True,
        cache=_tables(),
    )


def _tables() -> str | bool:
    """Where lark keeps the parse tables (one file per lark version); False: nowhere writable."""
    folder = root() / "grammar"
    return str(folder / f"econ-lark-{lark_version}.tables") if writable(folder) else False


def parse(text: str, name: str = "<input>") -> ast.Module:
    """Parse `.econ` text; raise `EconError` with a located diagnostic on a syntax error. A byte
    order mark (what some editors put first in a UTF-8 file) is no part of the text."""
    text = text.removeprefix("\ufeff")
    source = Source(name, text)
    try:
        tree = _lark().parse(text)
        statements = _Builder(source).transform(tree)
    except UnexpectedInput as e:
        raise EconError(syntax_errors(_lark(), text, e, source)) from None
    except VisitError as e:  # a builder's own complaint about a well-formed but meaningless line
        if isinstance(e.orig_exc, EconError):
            raise e.orig_exc from None
        raise
    flat = []
    for s in statements:
        flat.extend(s if isinstance(s, list) else [s])
    return ast.Module(tuple(flat), source)


def parse_file(path: str | Path) -> ast.Module:
    """Parse a `.econ` file; a file that cannot be read or is not UTF-8 text is a coded error."""
    return parse(read_text(path), str(path))


# --- tree to AST -----------------------------------------------------------------------------


def _span(source: Source, meta_or_token) -> Span:
    m = meta_or_token
    return Span(m.line, m.column, m.end_line, m.end_column, source)


@v_args(meta=True)
class _Builder(EconomyBuilder, FactorBuilder, Transformer_NonRecursive):
    """Builds typed nodes only; meaning is checked later, by the compiler. Non-recursive, so
    expressions may nest to any depth."""

    def __init__(self, source: Source):
        super().__init__()
        self.source = source

    def sp(self, x) -> Span:
        return _span(self.source, x)

    # expressions
    def number(self, meta, c):
        return ast.Num(float(c[0]), self.sp(c[0]))

    def name(self, meta, c):
        return ast.Name(str(c[0]), self.sp(c[0]))

    def _bin(op):
        def build(self, meta, c):
            return ast.BinOp(op, c[0], c[1], self.sp(meta))

        return build

    add, sub, mul, div, pow = _bin("+"), _bin("-"), _bin("*"), _bin("/"), _bin("^")

    def neg(self, meta, c):
        return ast.Neg(c[0], self.sp(meta))

    def call(self, meta, c):
        args = tuple(a for a in c[1:] if a is not None)
        return ast.Call(str(c[0]), args, self.sp(meta), self.sp(c[0]))

    def compare(self, meta, c):
        return ast.Call(str(c[1]), (c[0], c[2]), self.sp(meta), self.sp(c[1]))

    def doc(self, meta, c):
        return Doc(c[0][1:-1])

    # statements
    def start(self, meta, c):
        return c

    def model(self, meta, c):
        c, doc = split_doc(c)
        return ast.ModelDecl(str(c[0]), doc, self.sp(meta))

    def param_item(self, meta, c):
        c, doc = split_doc(c)
        return (str(c[0]), c[1], doc, self.sp(meta))

    def parameter(self, meta, c):
        """Each item's own documentation; a string after the last item only is everyone's."""
        shared = c[-1][2] if all(d is None for _, _, d, _ in c[:-1]) else None
        return [ast.ParamDecl(n, v, d if shared is None else shared, s) for n, v, d, s in c]

    def state(self, meta, c):
        c, doc = split_doc(c)
        return ast.StateDecl(str(c[0]), c[1], c[2], doc, self.sp(meta))

    def simplex(self, meta, c):
        c, doc = split_doc(c)
        names, span = tuple(str(t) for t in c), self.sp(meta)
        zero, one = ast.Num(0.0, span), ast.Num(1.0, span)
        return [ast.StateDecl(n, zero, one, doc, span, names) for n in names]

    def discrete_state(self, meta, c):
        c, doc = split_doc(c)
        return ast.StateDecl(str(c[0]), None, None, doc, self.sp(meta), values=tuple(c[1:]))

    def shock(self, meta, c):
        c, doc = split_doc(c)
        return [ast.ShockDecl(str(t), doc, self.sp(t)) for t in c]

    def poisson_shock(self, meta, c):
        c, doc = split_doc(c)
        return ast.ShockDecl(str(c[0]), doc, self.sp(c[0]), c[1])

    def drift_field(self, meta, c):
        return ("drift", c[0], self.sp(meta))

    def vol_field(self, meta, c):
        return ast.VolField(str(c[0]), c[1], self.sp(meta))

    def jump_field(self, meta, c):
        return ("jump", ast.VolField(str(c[0]), c[1], self.sp(meta)))

    def process_fields(self, meta, c):
        return c

    def _process(self, meta, c) -> ast.ProcessDecl:
        c, doc = split_doc(c)
        drifts = [f for f in c[1] if isinstance(f, tuple) and f[0] == "drift"]
        vols = tuple(f for f in c[1] if isinstance(f, ast.VolField))
        jumps = tuple(f[1] for f in c[1] if isinstance(f, tuple) and f[0] == "jump")
        if len(drifts) > 1:
            raise EconError([Diagnostic("E010", f"'{c[0]}' has more than one drift", drifts[1][2])])
        return ast.ProcessDecl(
            str(c[0]), drifts[0][1] if drifts else None, vols, doc, self.sp(meta), jumps
        )

    def process(self, meta, c):
        return self._process(meta, c)

    def endowment(self, meta, c):
        return ast.EndowmentDecl(self._process(meta, c), self.sp(meta))

    def lower_bound(self, meta, c):
        return ast.Bound(c[0], None)

    def upper_bound(self, meta, c):
        return ast.Bound(None, c[0])

    def interval(self, meta, c):
        return ast.Bound(c[0], c[1])

    def unknown(self, meta, c):
        c, doc = split_doc(c)
        bound = c[-1] if c and isinstance(c[-1], ast.Bound) else None
        args = tuple(ast.Name(str(t), self.sp(t)) for t in c[1:] if isinstance(t, Token))
        return ast.UnknownDecl(str(c[0]), args, bound, doc, self.sp(meta))

    def let(self, meta, c):
        c, doc = split_doc(c)
        return ast.LetDecl(str(c[0]), c[1], doc, self.sp(meta))

    def equality(self, meta, c):
        c, doc = split_doc(c)
        return ast.EquationDecl(str(c[0]), c[1], c[2], doc, self.sp(meta))

    def optimum(self, meta, c):
        c, doc = split_doc(c)
        name, lhs, func, *over, rhs = c
        if str(func) != "max":
            raise EconError(
                [
                    Diagnostic(
                        "E013",
                        f"'{func}(...): ...' is not an optimisation",
                        self.sp(func),
                        "an HJB maximises over its controls: 'rho*V = max(c): u(c) + ...'",
                    )
                ]
            )
        return ast.EquationDecl(str(name), lhs, rhs, doc, self.sp(meta), tuple(over), self.sp(func))

    def control_above(self, meta, c):
        return (c[0], None, False)

    def control_below(self, meta, c):
        return (None, c[0], False)

    def control_limit(self, meta, c):
        return (c[1], None, True) if str(c[0]) == ">=" else (None, c[1], True)

    def control_interval(self, meta, c):
        return (c[0], c[1], True)

    def control(self, meta, c):
        c, doc = split_doc(c)
        lo, hi, binding = c[1] if len(c) > 1 and c[1] is not None else (None, None, False)
        return ast.ControlDecl(str(c[0]), lo, hi, binding, doc, self.sp(meta))

    def complementarity(self, meta, c):
        c, doc = split_doc(c)
        name, lhs, op, rhs, var, var_op, bound = c
        if str(op) != str(var_op):
            raise EconError(
                [
                    Diagnostic(
                        "E011",
                        "both sides of 'perp' must use the same comparison",
                        self.sp(var_op),
                        f"write '{op}' on both sides: 'A {op} B perp f {op} c'",
                    )
                ]
            )
        return ast.ComplementarityDecl(
            str(name), lhs, str(op), rhs, var, str(var_op), bound, doc, self.sp(meta)
        )

    def boundary(self, meta, c):
        c, doc = split_doc(c)
        state = ast.Name(str(c[0]), self.sp(c[0]))
        return ast.BoundaryDecl(state, c[1], c[2], c[3], doc, self.sp(meta))

    def state_constraint(self, meta, c):
        c, doc = split_doc(c)
        state = ast.Name(str(c[0]), self.sp(c[0]))
        return ast.BoundaryDecl(state, c[1], c[2], c[4], doc, self.sp(meta), str(c[3]))

    def beyond(self, meta, c):
        c, doc = split_doc(c)
        state = ast.Name(str(c[0]), self.sp(c[0]))
        return ast.BeyondDecl(state, str(c[1]), c[2], c[3], c[4], doc, self.sp(meta))

    def guess(self, meta, c):
        c, doc = split_doc(c)
        return ast.GuessDecl(ast.Name(str(c[0]), self.sp(c[0])), c[1], doc, self.sp(meta))

    def option(self, meta, c):
        value = c[1][1:-1] if isinstance(c[1], Token) else c[1]
        return ast.Option(str(c[0]), value, self.sp(meta))

    def solver(self, meta, c):
        return ast.SolverDecl(tuple(c), self.sp(meta))

    def weight(self, meta, c):
        return ast.WeightDecl(tuple(c), self.sp(meta))
