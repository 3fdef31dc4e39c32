"""The Python API: load a model, set parameters, compile it, solve it."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .grammar import ast
from .grammar.diagnostics import Diagnostic, EconError, did_you_mean
from .grammar.files import read_text
from .models import LIBRARY, library, resolve
from .runtime.solvers import auto
from .settings import CHOICES, FIELDS, Settings

if TYPE_CHECKING:
    from .compiler.codegen import Compiled
    from .compiler.model import Model as CheckedModel
    from .compiler.outline import Outline
    from .compiler.system import System
    from .runtime.results import Solution
    from .runtime.solvers.collapse import Back

__all__ = [
    "LIBRARY",
    "Model",
    "library",
    "load",
    "method_choice",
    "resolve",
    "settings_for",
    "solve",
]


@dataclass(frozen=True)
class Model:
    """A parsed model with parameter overrides; checked on first use."""

    module: ast.Module
    overrides: Mapping[str, float] = field(default_factory=dict)
    over: Mapping[str, tuple[float, float]] = field(default_factory=dict)  # parametric ranges

    @cached_property
    def lowered(self) -> ast.Module:
        from .compiler import economy

        return economy.lower(self.module)

    @cached_property
    def checked(self) -> CheckedModel:
        """The checked model; read back from the cache folder when this very text (its
        warnings point into it) was checked before with these values (`runtime.store`)."""
        from .runtime import store

        def check() -> CheckedModel:
            from .compiler import checks, economy, parametric

            model = checks.check(self.lowered, dict(self.overrides))
            return parametric.over(economy.check_values(self.module, model), dict(self.over))

        return store.kept("checked", self.text_key, check)

    @cached_property
    def text_key(self) -> str | None:
        """`key` and this very text (its name and layout too): names what a warm run reads back
        instead of checking and deriving (warnings and error places point into the text)."""
        from .runtime.store import digest

        source = self.module.source
        return self.key and digest(f"{self.key} {source.name}\n{source.text}".encode()).decode()

    @property
    def name(self) -> str:
        return self.checked.name

    @property
    def params(self) -> dict[str, float]:
        return self.checked.params

    @property
    def states(self) -> tuple[str, ...]:
        return self.checked.state_names

    @property
    def unknowns(self) -> tuple[str, ...]:
        return tuple(u.name for u in self.checked.unknowns)

    @property
    def warnings(self) -> tuple[Diagnostic, ...]:
        return self.checked.warnings

    def with_params(self, **values: float) -> Model:
        new = Model(self.module, {**self.overrides, **values}, self.over)
        new.checked  # noqa: B018 (report a misspelt parameter now)
        return new

    def solved_over(self, **ranges: tuple[float, float]) -> Model:
        """The model with parameters solved over ranges (`gamma=(2, 8)`): each becomes a state
        without dynamics, so one solve gives the solution at every value in the box."""
        new = Model(self.module, self.overrides, {**self.over, **ranges})
        new.checked  # noqa: B018 (report a misspelt parameter now)
        return new

    @cached_property
    def collapsed(self) -> tuple[Model, Back] | None:
        """The reduced economy, in which each agent array of identical members, and each group
        of identical agents declared one by one, is one agent (`compiler.collapse`), with the
        map back to this model's states and unknowns; None when this model has none."""
        from .compiler import collapse

        plan = collapse.plan(self.module)
        if plan is None:
            return None
        from .runtime.solvers.collapse import Back

        reduced = Model(plan.module, self.overrides, self.over)
        back = Back.of(self.checked, reduced.checked, plan)
        return None if back is None else (reduced, back)

    def derive(self) -> System:
        """The derived equations (sympy; no JAX): what `compile` turns into functions."""
        from .compiler import symbolic

        return symbolic.build(self.checked)

    def compile(self) -> Compiled:
        """Pure JAX functions of the model: `residuals(fields, params, x)`, `loss`, `outputs`.
        When the outline of this model's derivation is in the cache folder, nothing is derived
        until a function that is not exported has to be traced (`codegen.Deferred`)."""
        from .compiler.codegen import Compiled, Deferred

        if not self.key:
            return Compiled(self.derive())
        return Deferred(self.checked, self.outline, lambda: self._derived, self.key)

    @cached_property
    def _derived(self) -> System:
        return self.derive()

    @cached_property
    def outline(self) -> Outline:
        """What the solvers read of the derivation besides its expressions (`compiler.outline`),
        from the cache folder, else derived (and kept there)."""
        from .compiler.outline import Outline
        from .runtime import store

        return store.kept("outline", self.text_key, lambda: Outline.of(self._derived))

    @cached_property
    def key(self) -> str | None:
        """A digest of the canonical text (comments and layout do not matter), the parameter
        values and ranges: names the model in the cache of exported functions (None, so nothing
        is exported, for a file with statements that are not printed back)."""
        from hashlib import sha256

        from .grammar.unparse import unparse

        try:
            text = unparse(self.module)
        except TypeError:
            return None
        values = f"{sorted(self.overrides.items())}\n{sorted(self.over.items())}"
        return sha256(f"{text}\n{values}".encode()).hexdigest()[:32]

    def emit(self, kind: str) -> str:
        """The derived equations as `latex` or `sympy` text, or the lowered model as `econ`;
        read back from the cache folder when this text was emitted before."""
        from .runtime import store

        key = self.text_key and f"{kind} {self.text_key}"
        text = store.load("emit", key) if key else None
        if text is not None:  # (emitted before: no sympy)
            return text
        from .compiler import emit

        if kind not in emit.KINDS:
            raise EconError(
                [
                    Diagnostic(
                        "E132",
                        f"cannot emit '{kind}'",
                        None,
                        f"choose one of {', '.join(emit.KINDS)}",
                    )
                ]
            )
        if kind == "econ":
            from .grammar.unparse import unparse

            self.checked  # noqa: B018 (report errors first)
            return unparse(self._overridden(self.lowered))
        return store.kept("emit", key, lambda: emit.emit(self.derive(), kind))

    def _overridden(self, module: ast.Module) -> ast.Module:
        """`module` with the overridden parameters' values written in."""
        from dataclasses import replace

        def written(s):
            if isinstance(s, ast.ParamDecl) and s.name in self.overrides:
                return replace(s, value=ast.Num(float(self.overrides[s.name]), s.value.span))
            return s

        return ast.Module(tuple(map(written, module.statements)), module.source)


def parse_kept(text: str, name: str) -> ast.Module:
    """`parse`, read back from the cache folder where this very text under this name was parsed
    before: a warm run loads no parser (lark, its tables and a parse: 0.15 s, docs/cache.md)."""
    from .runtime import store

    def parse():
        from .grammar.parser import parse

        return parse(text, name)

    return store.kept("parsed", store.digest(f"{name}\n{text}".encode()).decode(), parse)


def load(target: str | Path, **params: float) -> Model:
    """Load a `.econ` file, or a bundled model by name (`walras.load("lucas")`)."""
    if isinstance(target, str) and "\n" in target:
        module = parse_kept(target, "<input>")
    else:
        path = resolve(target)
        module = parse_kept(read_text(path), str(path))
    model = Model(module)
    return model.with_params(**params) if params else model


def settings_for(model: Model, **overrides: Any) -> Settings:
    """Defaults, then the file's `solver` statement, then `overrides` (None values ignored);
    `method = "auto"` (the default) becomes the method it chooses for this model."""
    return method_choice(model, **overrides)[0]


def method_choice(model: Model, **overrides: Any) -> tuple[Settings, str]:
    """`settings_for`'s settings, and one line saying which method they name and why."""
    unknown = [k for k in overrides if k not in FIELDS]
    if unknown:
        raise EconError(
            [
                Diagnostic(
                    "E115",
                    f"unknown solver setting '{unknown[0]}'",
                    None,
                    did_you_mean(unknown[0], FIELDS),
                )
            ]
        )
    given = {k: v for k, v in overrides.items() if v is not None}
    chosen = Settings()
    for key, value in {**model.checked.solver, **given}.items():
        try:
            chosen = chosen.replace(**{key: value})
        except ValueError as err:
            raise EconError(
                [Diagnostic("E115", str(err), None, did_you_mean(str(value), CHOICES.get(key, ())))]
            ) from None
    if chosen.method == "auto":
        method, why = auto.choose(_target(model, chosen)[0].checked)
        chosen = chosen.replace(method=method)
    else:
        why = "asked for" if "method" in given else "the model's solver statement"
    return chosen, f"method {chosen.method}: {why}{auto.unused(chosen.method, given)}"


def solve(
    model: Model | str | Path,
    *,
    output: str | Path | None = None,
    resume: bool = False,
    quiet: bool = True,
    checkpoint: str | Path | None = None,
    over: Mapping[str, tuple[float, float]] | None = None,
    devices: int | None = None,
    **settings: Any,
) -> Solution:
    """Solve a model; returns a `Solution` (`.dataset`, `.evaluate(points)`, `.save(path)`).

    Keyword arguments are solver settings (`steps`, `seed`, `method`, `degree`, ...); they override
    the file's `solver` statement. With `output`, the results are written there atomically.
    `over` solves parameters over ranges (`{"gamma": (2, 8)}`): the solution then has a
    dimension per parameter and evaluates at any value in the box. The neural solver shards its
    points over `devices` devices (by default `WALRAS_DEVICES`, else all: `runtime.devices`).
    """
    from .runtime import solvers
    from .runtime.devices import distributed

    distributed()  # before JAX starts its backend, when WALRAS_DISTRIBUTED asks for it
    from .runtime.cache import persistent_cache

    if not isinstance(model, Model):
        model = load(model)
    if over:
        model = model.solved_over(**over)
    chosen = settings_for(model, **settings)
    persistent_cache()
    if checkpoint is None and output is not None:
        checkpoint = Path(output).with_suffix(".ckpt")
    target, back = _target(model, chosen)
    solution = _family(target, chosen) if target.over else None
    if solution is None:
        solution = solvers.solve(
            target.compile(),
            chosen,
            checkpoint=checkpoint,
            resume=resume,
            quiet=quiet,
            devices=devices,
        )
    if back is not None:
        from .runtime.solvers.collapse import mapped

        solution = mapped(model.compile(), solution, back)
    if output is not None:
        solution.save(output)
    return solution


def _target(model: Model, chosen: Settings) -> tuple[Model, Back | None]:
    """The model a solve solves: the reduced economy with the map back to `model` when `model`
    has identical agents and the setting `collapse` allows it, else `model`."""
    if chosen.collapse == "off" or model.collapsed is None:
        return model, None
    return model.collapsed


def collapse_line(model: Model, chosen: Settings) -> str | None:
    """What the collapse of identical agents does in a solve of `model`, in one line."""
    back = _target(model, chosen)[1]
    return None if back is None else back.plan.line()


def _family(model: Model, chosen: Settings) -> Solution | None:
    """A parametric collocation solve of a one-state model with a free boundary, by one-state
    solves at the parameters' nodes (`runtime.family`); None where that does not apply."""
    from .runtime import family, solvers

    if chosen.method != "collocation":
        return None
    base = Model(model.module, model.overrides).compile()
    if not family.applies(base):
        return None

    def solve_one(params, guess):
        return solvers.solve(base, chosen, params, quiet=True, guess=guess)

    return family.solve(base, model.compile(), chosen, solve_one)
