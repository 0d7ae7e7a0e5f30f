"""The `paydesk` console entry point, run as a real process against a throwaway SQLite file:
hyphenated command names, DATABASE_URL, --json, and errors on stderr with a non-zero exit."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest


def paydesk_env(tmp: Path, database_url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    env.update(DATABASE_URL=database_url, PAYDESK_VAR_DIR=str(tmp / "var"))
    return env


@pytest.fixture(scope="module")
def paydesk(tmp_path_factory: pytest.TempPathFactory):
    """Run `python -m paydesk ARGS…` on a freshly migrated SQLite file."""
    tmp = tmp_path_factory.mktemp("console")
    env = paydesk_env(tmp, f"sqlite:///{tmp / 'console.sqlite3'}")

    def run(*args: str, ok: bool = True) -> subprocess.CompletedProcess[str]:
        result = subprocess.run(
            [sys.executable, "-m", "paydesk", *args],
            env=env, cwd=tmp, capture_output=True, text=True, timeout=120,
        )  # fmt: skip
        if ok:
            assert result.returncode == 0, result.stderr
        return result

    run("migrate", "--verbosity", "0")
    return run


def test_worked_example_through_the_console_script(paydesk):
    created = paydesk("customers", "create", "--name", "Acme Telecom", "--currency", "USD",
                      "--json")  # fmt: skip
    customer = json.loads(created.stdout)
    cid = str(customer["id"])
    assert customer["balance"] == "0.00"
    paydesk("payments", "add", "--customer", cid, "--total", "50", "--description", "Top-up")
    added = paydesk("payments", "add", "--customer", cid, "--total", "-10",
                    "--description", "DID rental #March", "--json")  # fmt: skip
    assert json.loads(added.stdout)["staff_comment"] == "March"
    balance = json.loads(paydesk("balance", "--customer", cid, "--json").stdout)
    assert (balance["balance"], balance["currency"]) == ("40.00", "USD")
    text = paydesk("balance", "--customer", cid).stdout
    assert "Balance:          $40.00 USD" in text
    checked = paydesk("check-balances")
    assert "All balances match the ledger." in checked.stdout
    listed = json.loads(paydesk("payments", "list", "--customer", cid, "--json").stdout)
    assert [p["total"] for p in listed] == ["-10.00", "50.00"]


def test_errors_go_to_stderr_as_one_line_with_exit_status_1(paydesk):
    result = paydesk("payments", "add", "--customer", "1", "--total", "abc",
                     "--description", "x", ok=False)  # fmt: skip
    assert result.returncode == 1
    assert result.stdout == ""
    assert result.stderr == "error: --total: 'abc' is not a number like 1234.56.\n"

    result = paydesk("balance", "--customer", "no-such-customer", "--json", ok=False)
    assert result.returncode == 1
    assert result.stdout == ""
    assert json.loads(result.stderr)["error"]["code"] == "not_found"


def test_usage_errors_exit_2_with_argparse_help(paydesk):
    result = paydesk("payments", "add", "--total", "5", ok=False)
    assert result.returncode == 2
    assert "the following arguments are required: --customer, --description" in result.stderr
    assert "Traceback" not in result.stderr


def test_an_unreachable_database_is_a_one_line_error(tmp_path):
    env = paydesk_env(tmp_path, "postgres://nobody@127.0.0.1:9/none")
    result = subprocess.run(
        [sys.executable, "-m", "paydesk", "customers", "list"],
        env=env, cwd=tmp_path, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert result.returncode == 1
    assert result.stderr.startswith("error: Database error:")
    assert result.stderr.count("\n") == 1
    assert "Traceback" not in result.stderr
