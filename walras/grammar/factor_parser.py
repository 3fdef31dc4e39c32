"""Tree-to-AST builders for the factor-model statements of `factor.lark`."""

from __future__ import annotations

from dataclasses import dataclass, field

from lark import v_args

from .diagnostics import Span


@dataclass(frozen=True)
class FactorModelDecl:
    name: str
    title: str | None
    span: Span = field(compare=False)


class FactorBuilder:
    """Mixed into the main builder (decorate each method with `v_args(meta=True)`); lark prefixes imported rule names with `factor__`."""

    @v_args(meta=True)
    def factor__factor_model(self, meta, c):
        title = str(c[1])[1:-1] if len(c) > 1 else None
        return FactorModelDecl(str(c[0]), title, self.sp(meta))
