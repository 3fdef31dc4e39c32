"""The error catalogue: every code raised is in it with one meaning; docs/errors.md is current.

The rule behind "one meaning": a catalogue entry lists the modules that raise its code. Raising a
code from a module its entry does not list fails here, so whoever reuses a code reads its meaning
first, and either adds the module (same mistake) or takes a new code (another mistake).
"""

from __future__ import annotations

import re
from collections import defaultdict
from pathlib import Path

import pytest

from walras.grammar.codes import CODES, SECTIONS, markdown, section

ROOT = Path(__file__).resolve().parents[1]
QUOTED = re.compile(r"""["'\[]([EWF]\d{3})["'\]]""")  # "E101", 'F102', error[E134]
MENTIONED = re.compile(r"\b([EWF]\d{3})\b")
NOQA = re.compile(r"#\s*noqa:.*")  # lint rules named in noqa comments look like codes
CATALOGUE = ("walras.grammar.codes", "walras.grammar.economy_codes", "walras.grammar.factor_codes")


def raise_sites() -> dict[str, set[str]]:
    """Code -> the modules of walras/ whose text holds it as a literal."""
    sites = defaultdict(set)
    for path in sorted((ROOT / "walras").rglob("*.py")):
        module = ".".join(path.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")
        if module not in CATALOGUE:
            for code in QUOTED.findall(path.read_text(encoding="utf-8")):
                sites[code].add(module)
    return sites


def test_the_scan_finds_codes_as_they_are_raised():
    text = """Diagnostic("E134", m); out.error("E101", m); fail('F102', m)
    print(f"error[E133]: cannot plot"); import x  # noqa: E402"""
    assert QUOTED.findall(text) == ["E134", "E101", "F102", "E133"]
    assert {"E001", "E101", "F006", "W108"} <= set(raise_sites())


def test_every_code_raised_is_catalogued():
    missing = sorted(set(raise_sites()) - set(CODES))
    assert not missing, f"add these codes to walras/grammar/codes.py: {missing}"


@pytest.mark.parametrize("code", sorted(CODES))
def test_every_entry_says_what_and_how(code):
    entry = CODES[code]
    assert re.fullmatch(r"[EWF]\d{3}", code) and entry.code == code
    assert entry.title and entry.meaning and entry.fix and entry.raised_in
    assert entry.meaning.endswith(".") and entry.fix.endswith(".")
    assert section(code) in {title for title, _, _ in SECTIONS}


def test_a_code_is_raised_only_where_its_entry_says():
    sites = raise_sites()
    wrong = {
        code: (sorted(sites.get(code, ())), list(entry.raised_in))
        for code, entry in CODES.items()
        if sites.get(code, set()) != set(entry.raised_in)
    }
    assert not wrong, (
        "code: (modules that raise it, modules its entry lists). A code names one mistake: where "
        "a module raises it for the same mistake, list the module in `raised_in` of "
        f"walras/grammar/codes.py; for another mistake, take a new code. {wrong}"
    )


def test_codes_in_tests_and_docs_are_catalogued():
    texts = [
        NOQA.sub("", p.read_text(encoding="utf-8"))
        for p in [
            *(ROOT / "tests").rglob("*.py"),
            *(ROOT / "docs").rglob("*.md"),
            ROOT / "README.md",
        ]
    ]
    unknown = {c for t in texts for c in MENTIONED.findall(t)} - set(CODES)
    assert not unknown, f"codes that are in no catalogue entry: {sorted(unknown)}"


def test_docs_errors_md_is_generated_from_the_catalogue():
    assert (ROOT / "docs" / "errors.md").read_text(encoding="utf-8") == markdown(), (
        "regenerate it: python -m walras.grammar.codes > docs/errors.md"
    )
