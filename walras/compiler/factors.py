"""Checked factor-model specifications: parsed statements in, frozen `FactorSpec`s out.

Every statement after `factor_model NAME` (until the next one) belongs to that model. All the
mistakes of a file are reported at once, each with its line and a "did you mean" where one helps.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..grammar import ast
from ..grammar.diagnostics import Collector, Span, did_you_mean
from ..grammar.factor_parser import (
    FACTOR_STATEMENTS,
    DataDecl,
    EstimateDecl,
    FactorModelDecl,
    FactorsDecl,
    InstrumentsDecl,
    LoadingsDecl,
    PenaltyDecl,
    ReturnsDecl,
    SplitDecl,
    WindowDecl,
)
from . import factor_options as schema

if TYPE_CHECKING:  # pandas loads for a split, not for every check of a file
    import pandas as pd

KEYWORDS = {  # statement kind -> its keyword
    DataDecl: "data",
    ReturnsDecl: "returns",
    FactorsDecl: "factors",
    InstrumentsDecl: "instruments",
    LoadingsDecl: "loadings",
    PenaltyDecl: "penalty",
    SplitDecl: "split",
    WindowDecl: "window",
    EstimateDecl: "estimate",
}
OBSERVED_ESTIMATORS = ("time_series", "fama_macbeth", "gmm", "hansen_jagannathan")
LATENT_ESTIMATORS = ("als", "adam", "ntk")


@dataclass(frozen=True)
class DataSpec:
    """Where the data live: a bundled dataset, a file, or a frame handed over from Python."""

    dataset: str | None = None
    path: Path | None = None
    layout: str = "wide"
    entity: str = "entity"
    time: str = "date"
    format: str | None = None


@dataclass(frozen=True)
class Estimator:
    name: str
    options: dict[str, Any]
    span: Span | None = field(default=None, compare=False)


@dataclass(frozen=True)
class FactorSpec:
    """One checked `factor_model` block."""

    name: str
    title: str | None
    data: DataSpec
    returns: tuple[str, ...]
    risk_free: str | None
    factors: tuple[str, ...]  # observed factors
    latent: int  # number of latent factors (0 with observed factors)
    flags: tuple[str, ...]
    instruments: tuple[str, ...]
    lag: int
    loadings: Estimator | None
    penalties: dict[str, float]
    estimators: tuple[Estimator, ...]
    split: dict[str, pd.Timestamp]
    window: dict[str, Any] | None
    spans: dict[str, Span] = field(default_factory=dict, compare=False, repr=False)

    def estimator(self, name: str) -> Estimator | None:
        return next((e for e in self.estimators if e.name == name), None)

    def with_options(self, **overrides) -> FactorSpec:
        """A copy with estimator options replaced: `gmm={"steps": 3}`; unknown keys raise."""
        col = Collector()
        ests = []
        for e in self.estimators:
            new = overrides.pop(e.name, None)
            if new:
                opts = dict(e.options)
                for k, v in new.items():
                    if k not in schema.ESTIMATORS[e.name]:
                        col.error(
                            "F006",
                            f"'{e.name}' has no option '{k}'",
                            None,
                            did_you_mean(k, schema.ESTIMATORS[e.name]),
                        )
                    opts[k] = v
                e = replace(e, options=opts)
            ests.append(e)
        for k in overrides:
            col.error(
                "F005",
                f"'{self.name}' does not use the estimator '{k}'",
                None,
                did_you_mean(k, [e.name for e in self.estimators]),
            )
        col.raise_if_errors()
        return replace(self, estimators=tuple(ests))


def factor_specs(module: ast.Module, base: Path | None = None) -> dict[str, FactorSpec]:
    """Group a module's factor statements by `factor_model` and check each group."""
    col = Collector()
    groups: list[tuple[FactorModelDecl, list]] = []
    for s in module.statements:
        if isinstance(s, FactorModelDecl):
            if any(g[0].name == s.name for g in groups):
                col.error("F002", f"factor model '{s.name}' is defined twice", s.span)
            groups.append((s, []))
        elif isinstance(s, FACTOR_STATEMENTS):
            if not groups:
                col.error(
                    "F001",
                    "a factor-model statement comes before any 'factor_model'",
                    s.span,
                    "start the block with 'factor_model NAME \"title\"'",
                )
            else:
                groups[-1][1].append(s)
    specs = {}
    for head, body in groups:
        spec = _check(head, body, base, col)
        if spec is not None:
            specs[head.name] = spec
    col.raise_if_errors()
    return specs


# --- one block ---------------------------------------------------------------------------------


def _check(
    head: FactorModelDecl, body: list, base: Path | None, col: Collector
) -> FactorSpec | None:
    """One block as a `FactorSpec`, or None when a statement it needs is missing."""
    one, estimators, spans = _gather(head, body, col)
    if any(k not in one for k in (DataDecl, ReturnsDecl, FactorsDecl)):
        return None
    ret: ReturnsDecl = one[ReturnsDecl]
    fac: FactorsDecl = one[FactorsDecl]
    latent = 0
    if fac.latent is not None:
        latent = schema.integer(fac.latent, "the number of latent factors", col, minimum=1)
    for f in fac.flags:
        if f.name not in schema.FLAGS:
            col.error(
                "F007",
                f"unknown factor option '{f.name}'",
                f.span,
                did_you_mean(f.name, schema.FLAGS) or f"known: {', '.join(schema.FLAGS)}",
            )
    inst: InstrumentsDecl | None = one.get(InstrumentsDecl)
    spec = FactorSpec(
        head.name,
        head.title,
        _data(one[DataDecl], base, col),
        tuple(n.name for n in ret.names),
        ret.minus.name if ret.minus else None,
        tuple(n.name for n in fac.names),
        latent,
        tuple(f.name for f in fac.flags),
        tuple(n.name for n in inst.names) if inst else (),
        schema.integer(inst.lag, "the lag", col, minimum=0) if inst and inst.lag else 0,
        _loadings(one.get(LoadingsDecl), col),
        schema.options(one[PenaltyDecl].options, schema.PENALTIES, "penalty", col)
        if PenaltyDecl in one
        else {},
        tuple(e for e in estimators if e is not None),
        _split(one.get(SplitDecl), col),
        schema.options(one[WindowDecl].options, schema.WINDOW, "window", col)
        if WindowDecl in one
        else None,
        spans,
    )
    names = [*ret.names, *fac.names, *(inst.names if inst else ())]
    for n in [*names, *([ret.minus] if ret.minus else [])]:
        spans.setdefault(f"column {n.name}", n.span)
    _names_unique(names, col)
    _estimators_fit(spec, col)
    _window_complete(spec, col)
    _split_applies(spec, col)
    return spec


def _gather(head: FactorModelDecl, body: list, col: Collector):
    """A block's statements by kind (each once), its estimators and the place of each statement;
    a missing statement the block needs is reported."""
    one: dict[type, Any] = {}
    estimators: list[Estimator | None] = []
    spans = {"model": head.span}
    for s in body:
        if isinstance(s, EstimateDecl):
            estimators.extend(_estimator(c, col) for c in s.calls)
            spans.setdefault("estimate", s.span)
            continue
        if type(s) in one:
            col.error(
                "F003",
                f"'{head.name}' has a second '{KEYWORDS[type(s)]}' statement",
                s.span,
                "merge them into one statement",
            )
            continue
        one[type(s)] = s
        spans[KEYWORDS[type(s)]] = s.span
    for kind in (DataDecl, ReturnsDecl, FactorsDecl):
        if kind not in one:
            col.error("F004", f"'{head.name}' has no '{KEYWORDS[kind]}' statement", head.span)
    if not estimators:
        col.error(
            "F004",
            f"'{head.name}' has no 'estimate' statement",
            head.span,
            "for example 'estimate time_series, fama_macbeth'",
        )
    return one, estimators, spans


def _data(d: DataDecl, base: Path | None, col: Collector) -> DataSpec:
    opts = schema.options(d.options, schema.DATA, "data", col)
    layout = "wide"
    dataset = None
    if d.source is not None:
        if d.source.name in schema.LAYOUTS:
            layout = d.source.name
        elif d.source.name in schema.DATASETS and d.path is None:
            dataset = d.source.name
        else:
            col.error(
                "F010",
                f"unknown data source '{d.source.name}'",
                d.source.span,
                did_you_mean(d.source.name, schema.DATASETS + schema.LAYOUTS)
                or "write a bundled dataset (french), or 'panel \"file\"' / 'wide \"file\"'",
            )
    if d.source is not None and d.source.name in schema.LAYOUTS and d.path is None:
        col.error(
            "F010",
            f"'data {d.source.name}' needs a file name",
            d.source.span,
            f"write 'data {d.source.name} \"returns.csv\"'",
        )
    path = None
    if d.path is not None:
        path = Path(d.path.value)
        if not path.is_absolute() and base is not None:
            path = base / path
    if dataset is not None and layout == "panel":
        col.error("F010", "the bundled datasets are wide (one column per asset)", d.span)
    return DataSpec(dataset, path, layout, opts.pop("entity"), opts.pop("time"), opts.pop("format"))


def _estimator(c, col: Collector) -> Estimator | None:
    name = schema.ALIASES.get(c.name, c.name)
    if name not in schema.ESTIMATORS:
        col.error(
            "F005",
            f"unknown estimator '{c.name}'",
            c.span,
            did_you_mean(c.name, [*schema.ESTIMATORS, *schema.ALIASES])
            or f"known: {', '.join(schema.ESTIMATORS)}",
        )
        return None
    for a in c.args:
        col.error("F006", f"'{c.name}' takes options written 'name = value'", a.span)
    return Estimator(
        name, schema.options(c.options, schema.ESTIMATORS[name], f"'{c.name}'", col), c.span
    )


def _loadings(d: LoadingsDecl | None, col: Collector) -> Estimator | None:
    if d is None:
        return None
    c = d.call
    if c.name not in schema.LOADINGS:
        col.error(
            "F008",
            f"unknown loading model '{c.name}'",
            c.span,
            did_you_mean(c.name, schema.LOADINGS) or f"known: {', '.join(schema.LOADINGS)}",
        )
        return None
    for a in c.args:
        if not (a.kind == "word" and a.value == "instruments"):
            col.error("F006", f"'{c.name}' takes 'instruments' or options 'name = value'", a.span)
    return Estimator(
        c.name, schema.options(c.options, schema.LOADINGS[c.name], f"'{c.name}'", col), c.span
    )


def _split(d: SplitDecl | None, col: Collector) -> dict[str, pd.Timestamp]:
    import pandas as pd

    out: dict[str, pd.Timestamp] = {}
    if d is None:
        return out
    for ident, date in d.items:
        if ident.name not in schema.SPLITS:
            col.error(
                "F009",
                f"unknown split '{ident.name}'",
                ident.span,
                did_you_mean(ident.name, schema.SPLITS)
                or "splits are 'train < DATE, valid < DATE'",
            )
            continue
        out[ident.name] = pd.Timestamp(date.value)
    if "train" not in out and not col.errors:
        col.error("F009", "a split needs 'train < DATE'", d.span)
    if "train" in out and "valid" in out and out["valid"] <= out["train"]:
        col.error("F009", "the validation period must end after the training period", d.span)
    return out


def _names_unique(names, col: Collector) -> None:
    seen: dict[str, Any] = {}
    for n in names:
        if n.name in seen:
            col.error("F011", f"'{n.name}' is named twice", n.span)
        seen[n.name] = n


def _estimators_fit(spec: FactorSpec, col: Collector) -> None:
    """Estimators must fit the model: observed factors for two-pass/GMM, latent ones for IPCA."""
    span = spec.spans.get("estimate")
    if spec.data.layout == "panel" and len(spec.returns) != 1:
        col.error(
            "F012",
            "a panel has one return column",
            spec.spans["returns"],
            "write 'returns ret' with the name of the column of returns",
        )
    for e in spec.estimators:
        if e.name in OBSERVED_ESTIMATORS and spec.latent:
            col.error(
                "F013",
                f"'{e.name}' needs observed factors, not latent ones",
                e.span or span,
                "name the factor columns: 'factors MktRF, SMB, HML'",
            )
        if e.name in LATENT_ESTIMATORS:
            if spec.data.layout != "panel":
                col.error(
                    "F013",
                    f"'{e.name}' needs a panel of assets and characteristics",
                    e.span or span,
                    "write 'data panel \"file\" entity = ..., time = ...'",
                )
            if not spec.instruments:
                col.error("F013", f"'{e.name}' needs 'instruments'", e.span or span)
            if e.name != "ntk" and not spec.latent:
                col.error("F013", f"'{e.name}' needs 'factors latent K'", e.span or span)
        window = e.options.get("betas") if e.name == "fama_macbeth" else None
        if isinstance(window, int) and window < len(spec.factors) + 2:
            col.error(
                "F006",
                f"rolling({window}) betas on {len(spec.factors)} factors need windows of at "
                f"least {len(spec.factors) + 2} periods",
                e.span or span,
            )
        if e.name == "als" and spec.loadings and spec.loadings.name != "linear":
            col.error(
                "F013",
                "'als' estimates linear loadings (IPCA)",
                e.span or span,
                "write 'loadings linear(instruments)'",
            )
        if e.name == "adam" and (spec.loadings is None or spec.loadings.name == "linear"):
            col.error(
                "F013",
                "'adam' trains a network: 'loadings attention(...)' or 'loadings autoencoder(...)'",
                e.span or span,
            )


def _window_complete(spec: FactorSpec, col: Collector) -> None:
    """A rolling window has a length (and, when optimal, the two volatilities it needs)."""
    w = spec.window
    if w is not None:
        if w.get("length") is None:
            col.error(
                "F014", "a window needs 'length = N' or 'length = optimal'", spec.spans["window"]
            )
        if w.get("length") == "optimal" and (
            w.get("sigma_l") is None or w.get("sigma_lambda") is None
        ):
            col.error(
                "F014",
                "the optimal window needs 'sigma_l' and 'sigma_lambda'",
                spec.spans["window"],
                "the volatility of risk-price innovations and the prior "
                "uncertainty about the risk price (Chinco 2014, eq. 22)",
            )
        if spec.latent:
            col.error("F014", "rolling windows apply to observed factors", spec.spans["window"])


def _split_applies(spec: FactorSpec, col: Collector) -> None:
    """A split into estimation and test periods is for the latent-factor estimators."""
    if spec.split and not {e.name for e in spec.estimators} & set(LATENT_ESTIMATORS):
        col.error(
            "F009",
            "a split applies to the latent-factor estimators (als, adam, ntk); "
            f"{', '.join(e.name for e in spec.estimators)} use every period",
            spec.spans["split"],
            "remove the split, or restrict the data to the dates to use",
        )
