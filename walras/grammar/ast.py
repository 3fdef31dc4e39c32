"""The syntax tree of a `.econ` file: frozen dataclasses, each with the span it came from."""

from __future__ import annotations

from dataclasses import dataclass, field

from .diagnostics import Source, Span

# --- expressions -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Num:
    value: float
    span: Span = field(compare=False)


@dataclass(frozen=True)
class Name:
    id: str
    span: Span = field(compare=False)


@dataclass(frozen=True)
class BinOp:
    op: str  # one of + - * / ^
    left: Expr
    right: Expr
    span: Span = field(compare=False)


@dataclass(frozen=True)
class Neg:
    operand: Expr
    span: Span = field(compare=False)


@dataclass(frozen=True)
class Call:
    func: str
    args: tuple[Expr, ...]
    span: Span = field(compare=False)
    func_span: Span = field(compare=False)


Expr = Num | Name | BinOp | Neg | Call


def children(e) -> tuple:
    """The subexpressions of a node, left to right (none for a leaf or a foreign node)."""
    if isinstance(e, BinOp):
        return (e.left, e.right)
    if isinstance(e, Neg):
        return (e.operand,)
    if isinstance(e, Call):
        return e.args
    return ()


def walk(e):
    """Every node of an expression, outermost first, left to right (iterative: any depth)."""
    stack = [e]
    while stack:
        node = stack.pop()
        yield node
        stack.extend(reversed(children(node)))


def fold(e, combine, children=children):
    """The bottom-up fold of an expression: `combine(node, values)` gets the values of the
    node's `children(node)` (called before them, outermost first, so it may raise or prune) and
    returns the node's value. Iterative, with an explicit stack, so depth is unbounded."""
    stack = [(e, None)]
    values = []
    while stack:
        node, kids = stack.pop()
        if kids is None:
            kids = children(node)
            stack.append((node, kids))
            stack.extend((k, None) for k in reversed(kids))
        else:
            start = len(values) - len(kids)
            value = combine(node, values[start:])
            del values[start:]
            values.append(value)
    return values[0]


def names_in(expr: Expr):
    """Every `Name` node of an expression, callee names excluded."""
    return (n for n in walk(expr) if isinstance(n, Name))


def calls_in(expr: Expr):
    """Every `Call` node of an expression, outermost first."""
    return (n for n in walk(expr) if isinstance(n, Call))


# --- equation-level statements ---------------------------------------------------------------


@dataclass(frozen=True)
class ModelDecl:
    name: str
    title: str | None
    span: Span = field(compare=False)


@dataclass(frozen=True)
class ParamDecl:
    name: str
    value: Expr
    doc: str | None
    span: Span = field(compare=False)


@dataclass(frozen=True)
class StateDecl:
    """`state x in [lo, hi]`; a member of `state a, b in simplex` has lo 0, hi 1 and its
    simplex's members in `simplex` ({a_i ≥ 0, Σ a_i ≤ 1}); a discrete state `state s in
    {v1, v2, ...}` has `values` set, `lo` and `hi` None."""

    name: str
    lo: Expr | None
    hi: Expr | None
    doc: str | None
    span: Span = field(compare=False)
    simplex: tuple[str, ...] = ()
    values: tuple[Expr, ...] | None = None


@dataclass(frozen=True)
class ShockDecl:
    """`shock Z` (Brownian), or `shock N: poisson, rate = EXPR` (`rate` set)."""

    name: str
    doc: str | None
    span: Span = field(compare=False)
    rate: Expr | None = None


@dataclass(frozen=True)
class VolField:
    shock: str
    expr: Expr
    span: Span = field(compare=False)


@dataclass(frozen=True)
class ProcessDecl:
    """`process x: drift = ..., vol[Z] = ..., jump[N] = ...`; also the body of an `endowment`
    (`jumps` are `VolField`s naming Poisson shocks)."""

    state: str
    drift: Expr | None
    vols: tuple[VolField, ...]
    doc: str | None
    span: Span = field(compare=False)
    jumps: tuple[VolField, ...] = ()


@dataclass(frozen=True)
class Bound:
    """Output bound of an unknown: `> lo`, `< hi` or `in [lo, hi]` (None where open)."""

    lo: Expr | None
    hi: Expr | None


@dataclass(frozen=True)
class UnknownDecl:
    name: str
    args: tuple[Name, ...]
    bound: Bound | None
    doc: str | None
    span: Span = field(compare=False)


@dataclass(frozen=True)
class LetDecl:
    name: str
    expr: Expr
    doc: str | None
    span: Span = field(compare=False)


@dataclass(frozen=True)
class EquationDecl:
    """`equation NAME: lhs = rhs`, or `equation NAME: lhs = max(c, ...): rhs` (an HJB: `over`
    names the controls the right side is maximised over; `max_span` is the place of `max`)."""

    name: str
    lhs: Expr
    rhs: Expr
    doc: str | None
    span: Span = field(compare=False)
    over: tuple[Expr, ...] = ()
    max_span: Span | None = field(default=None, compare=False)


@dataclass(frozen=True)
class ControlDecl:
    """`control c > lo`, `< hi` (the optimum lies strictly inside), `>= lo`, `<= hi` or
    `in [lo, hi]` (a constraint that may bind), or unbounded (bounds None)."""

    name: str
    lo: Expr | None
    hi: Expr | None
    binding: bool
    doc: str | None
    span: Span = field(compare=False)


@dataclass(frozen=True)
class ComplementarityDecl:
    """`equation NAME: lhs <= rhs perp var <= bound` (or both `>=`)."""

    name: str
    lhs: Expr
    op: str
    rhs: Expr
    var: Expr
    var_op: str
    bound: Expr
    doc: str | None
    span: Span = field(compare=False)


@dataclass(frozen=True)
class BoundaryDecl:
    """`boundary at x = v: lhs = rhs`, or with `op` '>=' or '<=' the state constraint
    `boundary at x = v: drift(x) >= 0`."""

    state: Name
    at: Expr
    lhs: Expr
    rhs: Expr
    doc: str | None
    span: Span = field(compare=False)
    op: str = "="


@dataclass(frozen=True)
class BeyondDecl:
    """`beyond x < v: lhs = rhs`: how the unknowns extend past the edge v of x's domain."""

    state: Name
    side: str
    at: Expr
    lhs: Expr
    rhs: Expr
    doc: str | None
    span: Span = field(compare=False)


@dataclass(frozen=True)
class GuessDecl:
    """`guess f = EXPR`: where the solvers start for the unknown f, an expression of its states,
    parameters and definitions of those."""

    unknown: Name
    expr: Expr
    doc: str | None
    span: Span = field(compare=False)


@dataclass(frozen=True)
class Option:
    key: str
    value: Expr | str
    span: Span = field(compare=False)


@dataclass(frozen=True)
class SolverDecl:
    """`solver key = value, ...`: solver settings the command line can override."""

    options: tuple[Option, ...]
    span: Span = field(compare=False)


@dataclass(frozen=True)
class WeightDecl:
    """`weight eq = w, ...`: loss weights of equations."""

    options: tuple[Option, ...]
    span: Span = field(compare=False)


# --- economy-level statements ----------------------------------------------------------------


@dataclass(frozen=True)
class EndowmentDecl:
    process: ProcessDecl
    span: Span = field(compare=False)


@dataclass(frozen=True)
class AssetDecl:
    name: str
    riskless: bool
    dividend: Expr | None
    supply: Expr | None
    doc: str | None
    span: Span = field(compare=False)
    capital: Name | None = None  # a claim on this capital stock (`capital = k`)


@dataclass(frozen=True)
class Utility:
    kind: str
    args: tuple[Expr, ...]
    span: Span = field(compare=False)


@dataclass(frozen=True)
class AgentArray:
    """`[n]` or `[i in first:last]` after an agent's name: agents NAME_first .. NAME_last with
    the same fields, `index` (when named) standing for each one's number in them."""

    index: Name | None
    first: Expr
    last: Expr
    span: Span = field(compare=False)


@dataclass(frozen=True)
class AgentDecl:
    name: str
    utility: Utility | None
    discount: Expr | None
    trades: tuple[Name, ...]
    doc: str | None
    span: Span = field(compare=False)
    productivity: Expr | None = None  # output per unit of capital held (production economies)
    depreciation: Expr | None = None  # the holder's own depreciation rate of capital
    array: AgentArray | None = None  # `agent household[10]: ...`: expanded by the economy layer
    labor: Expr | None = None  # the agent's labor endowment (production with `output`)


@dataclass(frozen=True)
class CapitalDecl:
    """`capital k: investment = Phi(iota), depreciation = delta, vol[Z] = sigma*k`: a capital
    stock growing by Φ(ι) − δ per unit, ι the investment rate (the name `iota` in Φ)."""

    name: str
    investment: Expr | None
    depreciation: Expr | None
    vols: tuple[VolField, ...]
    doc: str | None
    span: Span = field(compare=False)
    output: Expr | None = None  # output from capital and `labor` (Cobb-Douglas, say)


@dataclass(frozen=True)
class ChainRate:
    """`rate[i, j] = EXPR` of a chain: the rate of switching from its i-th value to its j-th
    (as written: the indices are checked when the economy is read)."""

    source: Num
    target: Num
    rate: Expr
    span: Span = field(compare=False)


@dataclass(frozen=True)
class ChainDecl:
    """`chain ell: values = [lo, hi], rate[1, 2] = up, rate[2, 1] = down`: a Markov chain that
    an agent's `labor = ell` follows, one independent copy per agent."""

    name: str
    values: tuple[Expr, ...]
    rates: tuple[ChainRate, ...]
    doc: str | None
    span: Span = field(compare=False)


@dataclass(frozen=True)
class ConstraintDecl:
    """`constraint agent: share(asset) <= bound` (or `>=`)."""

    agent: Name
    asset: Name
    op: str
    bound: Expr
    doc: str | None
    span: Span = field(compare=False)


@dataclass(frozen=True)
class Module:
    """A parsed file: its statements in order."""

    statements: tuple
    source: Source = field(compare=False, repr=False)
    places: tuple = field(default=(), compare=False, repr=False)  # `system.Places`, from the
    # economy layer: definitions the code generator evaluates as one step
