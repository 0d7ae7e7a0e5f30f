"""style.md's "ruff and mypy clean" as a test, so that `make test` (and `make lint`) enforce it:
mypy with django-stubs' plugin over src/paydesk ([tool.mypy] in pyproject.toml), and ruff over
src, tests, bench and scripts — its linter, and its formatter (`ruff format`: "a formatter so
that nobody argues about layout"). Each check is also shown to catch what it is for.

mypy keeps its incremental cache in .mypy_cache: a first run takes ~25 s of CPU, later ones a
few seconds. After editing a settings module, delete .mypy_cache if mypy reports a setting that
is there (its plugin's view of the settings is not part of the cache's key).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from mypy import api as mypy_api

pytestmark = pytest.mark.sqlite_pass_only  # the code, not the database

ROOT = Path(__file__).resolve().parents[1]
RUFF_PATHS = ["src", "tests", "bench", "scripts"]


def _mypy(*args: str) -> tuple[str, int]:
    stdout, stderr, status = mypy_api.run(["--config-file", str(ROOT / "pyproject.toml"), *args])
    return stdout + stderr, status


def test_mypy_finds_no_error(monkeypatch):
    monkeypatch.chdir(ROOT)  # [tool.mypy] files and cache_dir are relative to the tree
    report, status = _mypy()
    assert status == 0, report


def test_mypy_refuses_a_float_for_money(monkeypatch, tmp_path):
    """The same configuration, plugin and all, on a line it must refuse."""
    monkeypatch.chdir(ROOT)
    example = tmp_path / "example.py"
    example.write_text('from paydesk.money import Money\n\nMoney(1.5, "EUR")\n')
    report, status = _mypy(str(example))
    assert status == 1
    assert '"Money" has incompatible type "float"' in report, report


def _ruff(
    *args: str, stdin: str | None = None, command: str = "check"
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "ruff", command, "--no-cache", *args],
        cwd=ROOT,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_ruff_finds_no_error():
    result = _ruff(*RUFF_PATHS)
    assert result.returncode == 0, result.stdout + result.stderr


def test_ruff_refuses_an_unused_import():
    result = _ruff("--stdin-filename", "src/paydesk/example.py", "-", stdin="import os\n")
    assert result.returncode == 1
    assert "F401" in result.stdout, result.stdout + result.stderr


def test_ruff_format_leaves_every_file_as_it_is():
    result = _ruff("--check", *RUFF_PATHS, command="format")
    assert result.returncode == 0, "run `ruff format src tests bench scripts`:\n" + result.stdout


def test_ruff_format_refuses_a_file_laid_out_by_hand():
    laid_out = "def f(a,b):\n    return {'a':a,\n            'b':b}\n"
    result = _ruff(
        "--check",
        "--stdin-filename",
        "src/paydesk/example.py",
        "-",
        stdin=laid_out,
        command="format",
    )
    assert result.returncode == 1, result.stdout + result.stderr
