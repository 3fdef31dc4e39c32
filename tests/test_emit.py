"""`--emit latex`: the model as declared, operators written out, names by one rule, valid LaTeX."""

import re

import pytest

import walras
from walras.compiler.emit import name
from walras.grammar import ast

MODELS = [
    "lucas",
    "brusan_log",
    "basak_cuoco",
    "basak_cuoco_equations",
    "leverage_cap",
    "lucas_economy",
    "risk_sharing",
    "two_trees",
    "two_trees_economy",
]


def emit(model: str) -> str:
    return walras.load(model).emit("latex")


def rows(text: str) -> list[str]:
    body = text.split("\\begin{align}\n")[1].split("\n\\end{align}")[0]
    return body.split(" \\\\\n")


def definitions(text: str) -> dict[str, str]:
    """Left side -> right side of each definition row (equations carry a tag, a definition at
    most the note of a cycle)."""
    out = {}
    for row in rows(text):
        lhs, rhs = row.split(" &= ", 1)
        rhs, _, tag = rhs.partition(" && ")
        if not tag or "solved jointly" in tag:
            assert lhs not in out, f"{lhs} is defined twice"
            out[lhs] = rhs
    return out


@pytest.mark.parametrize(
    "econ, tex",
    [
        ("sigma_a_expert", r"\sigma_{a,\text{expert}}"),
        ("mu_eta_expert", r"\mu_{\eta,\text{expert}}"),
        ("omega_expert", r"\omega_{\text{expert}}"),
        ("risk_premium", r"\mathit{risk\_premium}"),
        ("pd", r"\mathit{pd}"),
        ("sigma_R", r"\sigma_{R}"),
        ("a_h", "a_{h}"),
        ("lambda", r"\lambda"),
        ("Gamma", r"\Gamma"),
        ("sigma1", r"\sigma_{1}"),
        ("Z1", "Z_{1}"),
        ("x_1_b", "x_{1,b}"),
        ("sig_eta", r"\mathit{sig\_eta}"),
        ("a__b", r"\mathit{a\_\_b}"),
    ],
)
def test_names_follow_one_rule(econ, tex):
    assert name(econ) == tex


E = r"\eta_{\text{expert}}"
VOL_ETA = r"\sigma^{" + E + "}_{Z}"
VOL_OMEGA = (
    r"\frac{" + VOL_ETA + r" \partial_{" + E + r"} \omega_{\text{expert}}}"
    r"{\omega_{\text{expert}}}"
)


def test_basak_cuoco_cycle_is_printed_as_declared():
    """The lowered model declares sigma_R = sigma_y + vol(pd, Z)/pd,
    lambda = (sigma_R + eta_expert*(vol(omega_expert, Z)/omega_expert))/(eta_expert/gamma) and
    vol[Z] of eta_expert = eta_expert*(lambda/gamma - vol(omega_expert, Z)/omega_expert - sigma_R);
    they are printed so, not as the sympy solution, with one note naming the members."""
    model = walras.load("basak_cuoco")
    text = model.emit("latex")
    assert "vol(pd, Z)/pd" in model.emit("econ")
    d = definitions(text)
    assert d[r"\sigma_{R}"] == (
        r"\sigma_{y} + \frac{" + VOL_ETA + r" \partial_{" + E + r"} \mathit{pd}}{\mathit{pd}}"
    )
    assert d[r"\lambda"] == (
        r"\frac{\sigma_{R} + " + E + " " + VOL_OMEGA + r"}{\frac{" + E + r"}{\gamma}}"
    )
    assert d[VOL_ETA] == (
        E + r" \left(\frac{\lambda}{\gamma} - " + VOL_OMEGA + r" - \sigma_{R}\right)"
    )
    notes = [r for r in rows(text) if "solved jointly" in r]
    assert len(notes) == 1 and notes[0].startswith(r"\sigma_{R} &=")
    assert notes[0].endswith(
        r"\text{(solved jointly for } \sigma_{R}, \lambda, " + VOL_ETA + r"\text{)}"
    )
    # the same members as the compiler's cycle
    assert {frozenset(c) for c in model.compile().system.cycles} == {
        frozenset({"sigma_R", "lambda", "vol[Z] of eta_expert"})
    }


def test_basak_cuoco_keeps_named_definitions():
    """drift(pd) is written in derivatives of pd, which is defined once, not inlined."""
    d = definitions(emit("basak_cuoco"))
    pd = r"\mathit{pd}"
    assert d[pd] == (
        r"\frac{1}{\omega_{\text{expert}} "
        + E
        + r" + \omega_{\text{household}} \eta_{\text{household}}}"
    )
    assert d[r"\mu_{R}"] == (
        r"\frac{\mu^{"
        + E
        + r"} \partial_{"
        + E
        + "} "
        + pd
        + r" + \frac{1}{2} \left("
        + VOL_ETA
        + r"\right)^{2} \partial_{"
        + E
        + "}^{2} "
        + pd
        + "}{"
        + pd
        + r"} + \mu_{y} + \frac{"
        + VOL_ETA
        + r" \partial_{"
        + E
        + "} "
        + pd
        + "}{"
        + pd
        + r"} \sigma_{y} + \frac{1}{"
        + pd
        + "}"
    )
    assert d[r"\mathit{risk\_premium}"] == r"\sigma_{R} \lambda"
    assert d[r"\mu_{\eta,\text{expert}}"].startswith(E + r" \left(\frac{1}{\mathit{pd}}")
    assert not any(r"\omega" in rhs for lhs, rhs in d.items() if lhs.startswith(r"\mu_{R}"))


def test_lucas_reads_as_written():
    text = emit("lucas")
    d = definitions(text)
    assert d["r"] == (
        r"\rho - \frac{\mu^{y} \partial_{y} \xi + \frac{1}{2} "
        r"\left(\sigma^{y}_{Z}\right)^{2} \partial_{y}^{2} \xi}{\xi}"
    )
    assert d[r"\sigma_{q}"] == r"\frac{\sigma^{y}_{Z} \partial_{y} q}{q}"
    assert (
        r"\mu_{q} + \frac{1}{\mathit{pd}} - r &= \frac{-\sigma^{y}_{Z} \partial_{y} \xi}{\xi} "
        r"\sigma_{q} && \text{(stock\_euler)}"
    ) in rows(text)
    assert r"\partial_{y} \mathit{pd} &= 0 && \text{at } y = 0.5" in rows(text)
    assert "% unknowns: \\mathit{pd}(y)" in text


def test_two_states_two_shocks_drift():
    """drift(P) of P(s, y): both first-order terms, each shock's cross term once, doubled."""
    (tree,) = [r for r in rows(emit("two_trees")) if r.endswith(r"\text{(tree1)}")]
    assert tree.startswith(
        r"\frac{\mu^{s} \partial_{s} P + \mu^{y} \partial_{y} P + \frac{1}{2} "
        r"\left(\left(\sigma^{s}_{Z_{1}}\right)^{2} \partial_{s}^{2} P + "
        r"2 \sigma^{s}_{Z_{1}} \sigma^{y}_{Z_{1}} \partial_{s}\partial_{y} P + "
    )
    assert tree.count(r"\partial_{s}\partial_{y} P") == 2
    assert r"\partial_{y} \xi \cdot \left(" in tree  # a derivative followed by a factor


def test_brusan_log_complementarity():
    text = emit("brusan_log")
    assert (
        r"\left(\sigma + \sigma_{q}\right)^{2} \left(\frac{\psi}{\eta} - \frac{1 - \psi}"
        r"{1 - \eta}\right) &\le \frac{a - a_{h}}{q} + \delta_{h} - \delta_{e} "
        r"\quad\perp\quad \psi \le 1 && \text{(capital)}"
    ) in rows(text)
    assert r"\sigma_{q}, \mathit{sig\_eta}, \sigma^{\eta}_{Z}\text{)}" in text


@pytest.mark.parametrize("model", MODELS)
def test_each_definition_once_in_dependency_order(model):
    """Every definition and process term has one row; a definition comes after the definitions
    it names, except within one of the compiler's cycles."""
    m = walras.load(model)
    system = m.compile().system
    lhs = [r.split(" &", 1)[0] for r in rows(m.emit("latex"))]
    checked = system.model
    expected = [name(d) for d in checked.definitions]
    expected += [
        r"\mu^{" + name(p.state) + "}" for p in checked.processes.values() if p.drift is not None
    ]
    expected += [
        r"\sigma^{" + name(p.state) + "}_{" + name(k) + "}"
        for p in checked.processes.values()
        for k in p.vols
    ]
    for e in expected:
        assert lhs.count(e) == 1, e
    cycle = {n: set(c) for c in system.cycles for n in c}
    for d in checked.definitions.values():
        for used in {n.id for n in ast.names_in(d.expr)} & set(checked.definitions):
            if used not in cycle.get(d.name, ()):
                assert lhs.index(name(used)) < lhs.index(name(d.name)), (used, d.name)


def _scripts_ok(s: str) -> bool:
    """No base gets two superscripts or two subscripts (TeX's 'Double superscript')."""
    tokens = re.findall(r"\\[A-Za-z]+|\\.|\s+|.", s)
    seen: set[str] = set()
    i = 0
    while i < len(tokens):
        t = tokens[i]
        if t in "^_":
            if t in seen:
                return False
            seen.add(t)
            i += 1
            if tokens[i] == "{":  # skip the argument group
                depth = 0
                while True:
                    depth += {"{": 1, "}": -1}.get(tokens[i], 0)
                    if depth == 0:
                        break
                    i += 1
        elif not t.isspace():
            seen = set()
        i += 1
    return True


@pytest.mark.parametrize("model", MODELS)
def test_latex_is_structurally_valid(model):
    text = emit(model)
    assert text.count("\\begin{align}") == text.count("\\end{align}") == 1
    body = "\n".join(rows(text))
    plain = body.replace(r"\{", "").replace(r"\}", "")
    depth = 0
    for c in plain:
        depth += {"{": 1, "}": -1}.get(c, 0)
        assert depth >= 0
    assert depth == 0
    assert body.count(r"\left") == body.count(r"\right")
    assert _scripts_ok(body)
    for row in rows(text):
        assert row.count("&&") <= 1 and row.replace("&&", "").count("&") == 1, row
    for word in re.findall(r"\\(?:text|mathit)\{([^{}]*)\}", body):
        assert re.search(r"(?<!\\)_", word) is None, word


MISC = """model misc "every printed construct"
parameter a = 0.5, b = 0.1
state x in [0.1, 1]
state z in [0.1, 1]
shock Z
process x: drift = a*x, vol[Z] = b*x
process z: drift = -a*z
unknown f(x, z) > 0
let g = exp(f)^2 + log(f*x) + sqrt(x) + 1.5e-8*z
let h = d(f, x, x)*x + drift(f*x) + vol(g, Z)*-x - (-x) + abs(x) - min(x, z)*max(f, 2)*2
equation e: f*f = g + h
boundary at x = 0.1: d(f, x) = 0
"""


def test_every_construct():
    """Functions, numbers, signs, a compound operand, derivatives followed by a factor, and the
    zero terms dropped (f*x moves with z only through its drift; g with Z only through x)."""
    text = walras.load(MISC).emit("latex")
    d = definitions(text)
    assert d["g"] == (
        r"\left(e^{f}\right)^{2} + \log\left(f x\right) + \sqrt{x} + "
        r"1.5 \cdot 10^{-8} z"
    )
    assert d["h"] == (
        r"\partial_{x}^{2} f \cdot x + \mu^{x} \partial_{x} \left(f x\right) + \mu^{z} "
        r"\partial_{z} \left(f x\right) + \frac{1}{2} \left(\sigma^{x}_{Z}\right)^{2} "
        r"\partial_{x}^{2} \left(f x\right) + \sigma^{x}_{Z} \partial_{x} g \cdot \left(-x\right) "
        r"- \left(-x\right) + \left|x\right| - \min\left(x, z\right) \max\left(f, 2\right) "
        r"\cdot 2"
    )
    assert rows(text)[-2:] == [
        r"f^{2} &= g + h && \text{(e)}",
        r"\partial_{x} f &= 0 && \text{at } x = 0.1",
    ]
    assert _scripts_ok(text)


def test_scripts_check_catches_double_scripts():
    assert _scripts_ok(r"\left(\sigma^{x}_{Z}\right)^{2} \partial_{x}^{2} f")
    assert not _scripts_ok(r"\sigma^{x}_{Z}^{2}")


def test_sympy_text_still_prints_the_solved_system():
    text = walras.load("basak_cuoco").emit("sympy")
    assert text.splitlines()[1] == "eta_household = 1 - eta_expert"
    assert "# solved cycles: " in text and "equation euler_expert: 0 = " in text
