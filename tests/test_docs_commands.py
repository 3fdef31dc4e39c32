"""Every shell command of README.md and docs/ runs as written.

The commands are the lines that start with `walras ` or `python` in indented code blocks and in
sh/bash (or unlabelled) fences. Each page's commands run in order in one temporary folder, so a
command may use the files an earlier one wrote. `walras` commands run in this process (typer's
runner: no interpreter start per command); the others in a subprocess. Long ones (neural solves,
benchmarks) run only under the `slow` marker, and so do the commands that read their output.
"""

from __future__ import annotations

import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from walras.cli import app

ROOT = Path(__file__).resolve().parents[1]
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]
SHELL_FENCES = {"", "sh", "bash", "shell"}

# Not run: they create a virtual environment and install walras (what CI does itself).
INSTALLS = ("python3 -m venv",)
EXITS = re.compile(r"#.*\bexits (\d+)")  # a comment that gives the exit code a command should give
# Minutes, not seconds: run under `-m slow` only.
SLOW = (
    "walras solve lucas -o lucas.nc --set gamma=4",
    "walras solve brusan_log --method neural",
    "walras solve basak_cuoco --method collocation --degree 48 --homotopy gamma=1",
    "walras solve basak_cuoco --method neural --homotopy gamma=1",
    "walras solve two_trees_economy",
    "walras solve two_trees --method collocation",
    "walras solve brusan_log --over sigma=0.05:0.15",
    "python bench/bench_robustness.py",
    "python bench/bench_audit.py",
    "walras solve lucas --devices 1",
    "python bench/bench_devices.py",
    "walras solve campbell_cochrane --method collocation",
    "walras solve bansal_yaron",
    "walras solve he_krishnamurthy",
    # the same solve, checked against the closed forms, is in tests/test_economy_jumps.py
    "walras solve disasters_economy --method collocation --degree 8",
)


def commands(page: Path) -> list[tuple[str, int]]:
    """The shell commands of a Markdown page, in order, with the exit code each should give:
    continuation lines joined, comments cut (0 unless the comment says `exits N`)."""
    lines, fence, in_block, previous = [], None, False, ""
    for line in page.read_text(encoding="utf-8").splitlines():
        if fence is not None:
            if line.startswith("```"):
                fence = None
            elif fence in SHELL_FENCES:
                lines.append(line)
        elif line.startswith("```"):
            fence = line[3:].strip()
        elif line.startswith("    ") and (in_block or not previous.strip()):
            lines.append(line[4:])
            in_block = True
        elif line.strip():
            in_block = False
        previous = line
    joined = re.sub(r"\\\n\s*", "", "\n".join(lines))
    found = [(re.sub(r"\s+#.*$", "", c.strip()), EXITS.search(c)) for c in joined.splitlines()]
    return [(c, int(m[1]) if m else 0) for c, m in found if c.startswith(("walras ", "python"))]


def is_slow(command: str) -> bool:
    return command.startswith(SLOW)


def _outputs(command: str) -> set[str]:
    """The files a command writes (its -o argument)."""
    return set(re.findall(r"(?:-o|--output)\s+(\S+)", command))


def _inputs(command: str) -> set[str]:
    return {w for w in shlex.split(command)[1:] if w.endswith(".nc")} - _outputs(command)


def plan(page: Path, slow: bool) -> list[tuple[str, int]]:
    """The commands of `page` to run, with their exit codes: all but installs; without `slow`,
    neither the slow ones nor those that read what a slow one writes."""
    chosen, skipped_outputs = [], set()
    for command, code in commands(page):
        if command.startswith(INSTALLS):
            continue
        if not slow and (is_slow(command) or _inputs(command) & skipped_outputs):
            skipped_outputs |= _outputs(command)
            continue
        chosen.append((command, code))
    return chosen


def run(command: str) -> tuple[int, str]:
    """Exit code and output of one command, in the current folder."""
    words = shlex.split(command)
    if words[0] == "walras":
        result = CliRunner().invoke(app, words[1:])
        return result.exit_code, result.output
    words[0] = sys.executable if words[0] in ("python", "python3") else words[0]
    done = subprocess.run(words, cwd=Path.cwd(), capture_output=True, text=True, timeout=3600)
    return done.returncode, done.stdout + done.stderr


def _check_page(page: Path, slow: bool, folder: Path, monkeypatch) -> None:
    monkeypatch.chdir(folder)
    monkeypatch.setenv("PYTHONPATH", str(ROOT))
    (folder / "bench").symlink_to(ROOT / "bench")
    for command, expected in plan(page, slow):
        code, output = run(command)
        assert code == expected, f"{page.name}: `{command}` exited {code}:\n{output}"


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(ROOT)))
def test_fast_commands_of_each_page_run(page, tmp_path, monkeypatch):
    _check_page(page, False, tmp_path, monkeypatch)


@pytest.mark.slow
@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_command_of_each_page_runs(page, tmp_path, monkeypatch):
    _check_page(page, True, tmp_path, monkeypatch)


def test_the_extraction_finds_the_readme_tour():
    found = dict(commands(ROOT / "README.md"))
    assert found["walras check lucas"] == 0
    assert found["walras compare neural.nc collocation.nc"] == 0
    assert not any("#" in c for c in found)
    neural = next(c for c in found if c.startswith("walras solve basak_cuoco --method neural"))
    assert found[neural] == 2  # its comment: "exits 2"


def test_models_lists_every_bundled_model_with_its_title():
    from walras.models import library

    result = CliRunner().invoke(app, ["models"])
    assert result.exit_code == 0
    rows = dict(line.split(None, 1) for line in result.output.strip().splitlines())
    assert sorted(rows) == library()
    assert rows["lucas"] == "Lucas (1978) endowment economy, CRRA representative agent"
    assert rows["ff3"] == "Fama-French three factors on nine size/value portfolios"


def test_help_shows_the_effective_defaults_of_the_solver_settings():
    from walras.settings import Settings

    text = " ".join(CliRunner().invoke(app, ["solve", "--help"]).output.split())
    for key in ("steps", "polish", "degree", "seed", "homotopy_steps"):
        assert f"[default: ({getattr(Settings(), key)})]" in text, key
    assert f"[default: ({Settings().method})]" in text
