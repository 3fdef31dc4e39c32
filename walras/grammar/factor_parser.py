"""Tree-to-AST builders for the factor-model statements of `factor.lark`.

Each statement becomes one frozen dataclass with the span it came from; meaning (which names
exist, which options an estimator takes) is checked later by `walras.compiler.factors`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from lark import Token, v_args

from .diagnostics import Span


@dataclass(frozen=True)
class Ident:
    name: str
    span: Span = field(compare=False)


@dataclass(frozen=True)
class Value:
    """A literal: `kind` is number, word, string, date or call (`rolling(60)`: `value` the name,
    `arg` the number); `value` a float or a str."""

    kind: str
    value: float | str
    span: Span = field(compare=False)
    arg: float | None = None


@dataclass(frozen=True)
class Opt:
    name: str
    value: Value
    span: Span = field(compare=False)


@dataclass(frozen=True)
class CallSpec:
    """`name(positional, key = value, ...)` as in `gmm(steps = 2)` or `linear(instruments)`."""

    name: str
    args: tuple[Value, ...]
    options: tuple[Opt, ...]
    span: Span = field(compare=False)


@dataclass(frozen=True)
class FactorModelDecl:
    name: str
    title: str | None
    span: Span = field(compare=False)


@dataclass(frozen=True)
class DataDecl:
    source: Ident | None  # a bundled dataset (`french`) or a layout (`panel`, `wide`)
    path: Value | None  # a file name, as a string value
    options: tuple[Opt, ...]
    span: Span = field(compare=False)


@dataclass(frozen=True)
class ReturnsDecl:
    names: tuple[Ident, ...]
    minus: Ident | None
    span: Span = field(compare=False)


@dataclass(frozen=True)
class FactorsDecl:
    names: tuple[Ident, ...]  # observed factors; empty for latent ones
    latent: Value | None  # the number of latent factors
    flags: tuple[Ident, ...]
    span: Span = field(compare=False)


@dataclass(frozen=True)
class InstrumentsDecl:
    names: tuple[Ident, ...]
    lag: Value | None
    span: Span = field(compare=False)


@dataclass(frozen=True)
class LoadingsDecl:
    call: CallSpec
    span: Span = field(compare=False)


@dataclass(frozen=True)
class PenaltyDecl:
    options: tuple[Opt, ...]
    span: Span = field(compare=False)


@dataclass(frozen=True)
class EstimateDecl:
    calls: tuple[CallSpec, ...]
    span: Span = field(compare=False)


@dataclass(frozen=True)
class SplitDecl:
    items: tuple[tuple[Ident, Value], ...]
    span: Span = field(compare=False)


@dataclass(frozen=True)
class WindowDecl:
    options: tuple[Opt, ...]
    span: Span = field(compare=False)


FACTOR_STATEMENTS = (
    FactorModelDecl,
    DataDecl,
    ReturnsDecl,
    FactorsDecl,
    InstrumentsDecl,
    LoadingsDecl,
    PenaltyDecl,
    EstimateDecl,
    SplitDecl,
    WindowDecl,
)


class FactorBuilder:
    """Mixed into the main builder (decorate each method with `v_args(meta=True)`); lark
    prefixes imported rule names with `factor__`."""

    def _ident(self, tok: Token) -> Ident:
        return Ident(str(tok), self.sp(tok))

    def _idents(self, items) -> tuple[Ident, ...]:
        return tuple(self._ident(t) for t in items if isinstance(t, Token))

    @v_args(meta=True)
    def factor__factor_model(self, meta, c):
        title = str(c[1])[1:-1] if len(c) > 1 else None
        return FactorModelDecl(str(c[0]), title, self.sp(meta))

    # pieces
    @v_args(meta=True)
    def factor__number_value(self, meta, c):
        return Value("number", float(c[0]), self.sp(c[0]))

    @v_args(meta=True)
    def factor__word_value(self, meta, c):
        return Value("word", str(c[0]), self.sp(c[0]))

    @v_args(meta=True)
    def factor__string_value(self, meta, c):
        return Value("string", str(c[0])[1:-1], self.sp(c[0]))

    @v_args(meta=True)
    def factor__date_value(self, meta, c):
        return Value("date", str(c[0]), self.sp(c[0]))

    @v_args(meta=True)
    def factor__call_value(self, meta, c):
        return Value("call", str(c[0]), self.sp(meta), float(c[1]))

    @v_args(meta=True)
    def factor__option(self, meta, c):
        return Opt(str(c[0]), c[1], self.sp(meta))

    @v_args(meta=True)
    def factor__options(self, meta, c):
        return tuple(c)

    @v_args(meta=True)
    def factor__names(self, meta, c):
        return self._idents(c)

    @v_args(meta=True)
    def factor__call(self, meta, c):
        rest = c[1:]
        return CallSpec(
            str(c[0]),
            tuple(a for a in rest if isinstance(a, Value)),
            tuple(a for a in rest if isinstance(a, Opt)),
            self.sp(meta),
        )

    @v_args(meta=True)
    def factor__source(self, meta, c):
        path = Value("string", str(c[1])[1:-1], self.sp(c[1])) if len(c) > 1 else None
        return (self._ident(c[0]), path)

    @v_args(meta=True)
    def factor__source_path(self, meta, c):
        return (None, Value("string", str(c[0])[1:-1], self.sp(c[0])))

    @v_args(meta=True)
    def factor__split_item(self, meta, c):
        return (self._ident(c[0]), Value("date", str(c[1]), self.sp(c[1])))

    # statements
    @v_args(meta=True)
    def factor__data(self, meta, c):
        source, path = c[0]
        return DataDecl(source, path, c[1] if len(c) > 1 else (), self.sp(meta))

    @v_args(meta=True)
    def factor__returns(self, meta, c):
        minus = self._ident(c[1]) if len(c) > 1 else None
        return ReturnsDecl(c[0], minus, self.sp(meta))

    @v_args(meta=True)
    def factor__observed_factors(self, meta, c):
        return FactorsDecl(c[0], None, (), self.sp(meta))

    @v_args(meta=True)
    def factor__latent_factors(self, meta, c):
        count = Value("number", float(c[0]), self.sp(c[0]))
        return FactorsDecl((), count, self._idents(c[1:]), self.sp(meta))

    @v_args(meta=True)
    def factor__instruments(self, meta, c):
        lag = Value("number", float(c[1]), self.sp(c[1])) if len(c) > 1 else None
        return InstrumentsDecl(c[0], lag, self.sp(meta))

    @v_args(meta=True)
    def factor__loadings(self, meta, c):
        return LoadingsDecl(c[0], self.sp(meta))

    @v_args(meta=True)
    def factor__penalty(self, meta, c):
        return PenaltyDecl(c[0], self.sp(meta))

    @v_args(meta=True)
    def factor__estimate(self, meta, c):
        return EstimateDecl(tuple(c), self.sp(meta))

    @v_args(meta=True)
    def factor__split(self, meta, c):
        return SplitDecl(tuple(c), self.sp(meta))

    @v_args(meta=True)
    def factor__window(self, meta, c):
        return WindowDecl(c[0], self.sp(meta))
