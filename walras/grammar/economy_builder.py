"""Tree-to-AST builders for the economy-level statements: assets, agents (and agent arrays),
capital and portfolio constraints."""

from __future__ import annotations

from lark import v_args

from . import ast
from .building import split_doc
from .diagnostics import Diagnostic, EconError


class EconomyBuilder:
    """Mixed into the parser's builder, which provides `sp` (a node's span)."""

    @v_args(meta=True)
    def riskless_field(self, meta, c):
        return ("riskless", True)

    @v_args(meta=True)
    def dividend_field(self, meta, c):
        return ("dividend", c[0])

    @v_args(meta=True)
    def supply_field(self, meta, c):
        return ("supply", c[0])

    @v_args(meta=True)
    def claim_field(self, meta, c):
        return ("capital", ast.Name(str(c[0]), self.sp(c[0])))

    @v_args(meta=True)
    def asset(self, meta, c):
        c, doc = split_doc(c)
        fields = dict(c[1:])
        return ast.AssetDecl(
            str(c[0]),
            bool(fields.get("riskless")),
            fields.get("dividend"),
            fields.get("supply"),
            doc,
            self.sp(meta),
            fields.get("capital"),
        )

    @v_args(meta=True)
    def utility_field(self, meta, c):
        args = tuple(a for a in c[1:] if a is not None)
        return ("utility", ast.Utility(str(c[0]), args, self.sp(meta)))

    @v_args(meta=True)
    def discount_field(self, meta, c):
        return ("discount", c[0])

    @v_args(meta=True)
    def trades_field(self, meta, c):
        return ("trades", tuple(ast.Name(str(t), self.sp(t)) for t in c if t is not None))

    @v_args(meta=True)
    def productivity_field(self, meta, c):
        return ("productivity", c[0])

    @v_args(meta=True)
    def depreciation_field(self, meta, c):
        return ("depreciation", c[0])

    @v_args(meta=True)
    def labor_field(self, meta, c):
        return ("labor", c[0])

    @v_args(meta=True)
    def output_field(self, meta, c):
        return ("output", c[0])

    @v_args(meta=True)
    def investment_field(self, meta, c):
        return ("investment", c[0])

    @v_args(meta=True)
    def agent_array(self, meta, c):
        return ast.AgentArray(None, ast.Num(1.0, self.sp(meta)), c[0], self.sp(meta))

    @v_args(meta=True)
    def indexed_array(self, meta, c):
        return ast.AgentArray(ast.Name(str(c[0]), self.sp(c[0])), c[1], c[2], self.sp(meta))

    @v_args(meta=True)
    def agent(self, meta, c):
        c, doc = split_doc(c)
        array = c[1] if isinstance(c[1], ast.AgentArray) else None
        fields = dict(f for f in c[1:] if isinstance(f, tuple))
        return ast.AgentDecl(
            str(c[0]),
            fields.get("utility"),
            fields.get("discount"),
            fields.get("trades", ()),
            doc,
            self.sp(meta),
            fields.get("productivity"),
            fields.get("depreciation"),
            array,
            fields.get("labor"),
        )

    @v_args(meta=True)
    def chain_rate(self, meta, c):
        source, target = (ast.Num(float(t), self.sp(t)) for t in c[:2])
        return ast.ChainRate(source, target, c[2], self.sp(meta))

    @v_args(meta=True)
    def chain(self, meta, c):
        c, doc = split_doc(c)
        rates = tuple(f for f in c[1:] if isinstance(f, ast.ChainRate))
        values = tuple(f for f in c[1:] if not isinstance(f, ast.ChainRate))
        return ast.ChainDecl(str(c[0]), values, rates, doc, self.sp(meta))

    @v_args(meta=True)
    def capital(self, meta, c):
        c, doc = split_doc(c)
        fields = dict(f for f in c[1:] if isinstance(f, tuple))
        vols = tuple(f for f in c[1:] if isinstance(f, ast.VolField))
        return ast.CapitalDecl(
            str(c[0]),
            fields.get("investment"),
            fields.get("depreciation"),
            vols,
            doc,
            self.sp(meta),
            fields.get("output"),
        )

    @v_args(meta=True)
    def constraint(self, meta, c):
        c, doc = split_doc(c)
        agent, func, asset, op, bound = c
        if str(func) != "share":
            raise EconError(
                [
                    Diagnostic(
                        "E012",
                        f"unknown constraint function '{func}'",
                        self.sp(func),
                        "constraints bound 'share(asset)', the share of wealth in it",
                    )
                ]
            )
        return ast.ConstraintDecl(
            ast.Name(str(agent), self.sp(agent)),
            ast.Name(str(asset), self.sp(asset)),
            str(op),
            bound,
            doc,
            self.sp(meta),
        )
