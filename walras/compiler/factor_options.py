"""The options of factor-model statements: which each estimator, loading model, penalty, window
and data statement takes, with their types and defaults, and how a written value is read."""

from __future__ import annotations

from typing import Any

from ..grammar.diagnostics import Collector, did_you_mean
from ..grammar.factor_parser import Opt, Value

# Option schemas: name -> (type, default). Types: bool, int, float, str, a tuple of allowed words.
_KERNELS = ("bartlett", "parzen")
ESTIMATORS: dict[str, dict[str, tuple[Any, Any]]] = {
    "time_series": {
        "lags": (int, None),
        "kernel": (_KERNELS, "bartlett"),
        "debiased": (bool, True),
    },
    "fama_macbeth": {"shanken": (bool, True), "lags": (int, 0), "betas": ("betas", "full")},
    "gmm": {
        "system": (("stacked", "beta_pricing"), "stacked"),
        "steps": (int, 2),
        "iterated": (bool, False),
        "lags": (int, None),
        "kernel": (_KERNELS, "bartlett"),
        "center": (bool, True),
        "debiased": (bool, True),
        "tol": (float, 1e-6),
        "max_steps": (int, 100),
        "weight": (("optimal", "identity"), None),
    },
    "hansen_jagannathan": {"lags": (int, 0), "draws": (int, 100000), "seed": (int, 0)},
    "als": {
        "tol": (float, 1e-8),
        "max_iter": (int, 10000),
        "bootstrap": (int, 0),
        "seed": (int, 0),
    },
    "adam": {
        "lr": (float, 1e-3),
        "epochs": (int, 100),
        "patience": (int, 20),
        "seed": (int, 0),
        "ntk": (bool, False),
        "rp_gamma": (float, 10.0),
    },
    "ntk": {
        "depth": (int, 3),
        "ridge": (float, 1e-3),
        "bias": (float, 0.0),
        "architecture": (("mlp", "autoencoder"), "mlp"),
    },
}
ALIASES = {"ipca": "als"}
LOADINGS: dict[str, dict[str, tuple[Any, Any]]] = {
    "linear": {"intercept": (bool, False)},
    "attention": {
        "layers": (int, 2),
        "heads": (int, 2),
        "width": (int, 32),
        "channel": (bool, True),
        "spatial": (bool, True),
        "positions": (bool, True),
        "forecast": (bool, False),
    },
    "autoencoder": {"hidden": (int, 32), "layers": (int, 1)},
}
PENALTIES = {
    "orthogonality": (float, 0.0),
    "instrument": (float, 0.0),
    "weight_decay": (float, 0.0),
}
WINDOW = {
    "length": ((int, "optimal"), None),
    "step": (int, 1),
    "sigma_l": (float, None),
    "sigma_lambda": (float, None),
}
DATA = {
    "entity": (str, "entity"),
    "time": (str, "date"),
    "format": (("csv", "parquet", "netcdf"), None),
}
DATASETS = ("french",)
LAYOUTS = ("wide", "panel", "simulation")
FLAGS = ("temporal_attention",)
SPLITS = ("train", "valid")


def options(opts: tuple[Opt, ...], schema: dict, where: str, col: Collector) -> dict[str, Any]:
    out = {k: default for k, (_, default) in schema.items()}
    seen = set()
    for o in opts:
        if o.name not in schema:
            col.error(
                "F006",
                f"{where} has no option '{o.name}'",
                o.span,
                did_you_mean(o.name, schema) or f"options: {', '.join(schema)}",
            )
            continue
        if o.name in seen:
            col.error("F006", f"option '{o.name}' is given twice", o.span)
        seen.add(o.name)
        out[o.name] = coerce(o, schema[o.name][0], col)
    return out


def coerce(o: Opt, kind, col: Collector):
    v: Value = o.value
    if kind == "betas":
        return _betas(o, col)
    if isinstance(kind, tuple):
        words = [k for k in kind if isinstance(k, str)]
        if v.kind == "word" and v.value in words:
            return v.value
        if int in kind and v.kind == "number":
            return integer(v, f"'{o.name}'", col, minimum=0)
        if words and v.kind == "word":
            col.error(
                "F006",
                f"'{v.value}' is not a choice of '{o.name}'",
                v.span,
                did_you_mean(v.value, words) or f"choices: {', '.join(words)}",
            )
            return None
        col.error(
            "F006",
            f"'{o.name}' takes "
            + " or ".join(
                [*(f"'{w}'" for w in words), *(["a whole number"] if int in kind else [])]
            ),
            v.span,
        )
        return None
    if kind is bool:
        if v.kind == "word" and v.value in ("true", "false"):
            return v.value == "true"
        col.error("F006", f"'{o.name}' takes true or false", v.span)
        return None
    if kind is int:
        return integer(v, f"'{o.name}'", col, minimum=0)
    if kind is float:
        if v.kind == "number":
            return float(v.value)
        col.error("F006", f"'{o.name}' takes a number", v.span)
        return None
    if v.kind in ("word", "string"):
        return str(v.value)
    col.error("F006", f"'{o.name}' takes a name", v.span)
    return None


def _betas(o: Opt, col: Collector) -> str | int | None:
    """`full` (full-sample betas) or `rolling(N)`: betas from the N periods before each one."""
    v: Value = o.value
    if v.kind == "word" and v.value == "full":
        return "full"
    if v.kind == "call" and v.value == "rolling":
        if v.arg != int(v.arg) or v.arg < 2:
            col.error("F006", "'rolling' takes a whole number of periods of at least 2", v.span)
            return None
        return int(v.arg)
    col.error(
        "F006",
        f"'{o.name}' takes 'full' or 'rolling(N)'",
        v.span,
        did_you_mean(str(v.value), ("full", "rolling")) or "for example 'betas = rolling(60)'",
    )
    return None


def integer(v: Value, what: str, col: Collector, minimum: int = 0) -> int:
    if v.kind != "number" or float(v.value) != int(v.value) or v.value < minimum:
        col.error("F006", f"{what} must be a whole number of at least {minimum}", v.span)
        return minimum
    return int(v.value)
