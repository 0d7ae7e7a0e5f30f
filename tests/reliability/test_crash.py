"""Reliability R7 (docs quality.md): the process moving money is killed with SIGKILL in the
middle of a load; after a restart the ledger is whole and `paydesk check-balances` says so.

The load is tests/reliability/load_driver.py, a separate process running the real services on
four threads. It is killed twice without warning (no signal handler, no atexit, no rollback
from Python: whatever transaction was open is cut off), restarted in between so the second run
starts on whatever the first one left behind, and then:

- `python -m paydesk check-balances` (a separate process, same database) exits 0 with
  "All balances match the ledger.";
- every payment the driver reported as committed before the kill is in the database, in the
  state it reported (durability of every acknowledged operation);
- each customer's balance-after chain is consistent and the stored balance is Σ completed.

Runs on PostgreSQL and on the SQLite file database (WAL, synchronous=FULL).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from paydesk.ledger.models import Payment, PaymentStatus
from paydesk.ledger.selectors import balance_drifts
from paydesk.ledger.services import payment_create
from tests.factories import CustomerFactory
from tests.reliability.helpers import assert_balance_after_chain, completed_sum

DRIVER = Path(__file__).with_name("load_driver.py")
ROOT = Path(__file__).resolve().parents[2]


def database_url() -> str:
    """DATABASE_URL for the database this test runs on (pytest-django's test database)."""
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{db['NAME']}"
    auth = db["USER"] or ""
    if db.get("PASSWORD"):
        auth += f":{db['PASSWORD']}"
    return f"postgres://{auth}@{db['HOST'] or 'localhost'}:{db['PORT'] or 5432}/{db['NAME']}"


def child_env(tmp_path: Path) -> dict[str, str]:
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "paydesk.settings.dev",
        "DATABASE_URL": database_url(),
        # The test's own key: secrets it stored (an authenticator app's, encrypted with a key
        # derived from SECRET_KEY when PAYDESK_SECRETS_KEYS is unset) read the same in the child.
        "SECRET_KEY": settings.SECRET_KEY,
        "PAYDESK_SECURE_COOKIES": "0",
        "PAYDESK_VAR_DIR": str(tmp_path / "var"),
        "DEBUG": "0",
        "PYTHONUNBUFFERED": "1",
    }


def ok_lines(path: Path) -> list[str]:
    text = path.read_text() if path.exists() else ""
    # A line cut off by the kill has no newline yet: count only complete lines.
    return [
        line
        for line in text.splitlines(keepends=True)
        if line.startswith("ok ") and line.endswith("\n")
    ]


def run_and_kill(
    customers: str, tmp_path: Path, name: str, *, after_ops: int, seed: int
) -> list[str]:
    """Start the driver, SIGKILL it once it has reported `after_ops` committed operations."""
    out, err = tmp_path / f"{name}.out", tmp_path / f"{name}.err"
    with out.open("w") as stdout, err.open("w") as stderr:
        process = subprocess.Popen(
            [
                sys.executable,
                str(DRIVER),
                "--customers",
                customers,
                "--threads",
                "4",
                "--seed",
                str(seed),
                "--max-seconds",
                "40",
            ],
            stdout=stdout,
            stderr=stderr,
            env=child_env(tmp_path),
            cwd=ROOT,
        )
        try:
            deadline = time.monotonic() + 25
            while len(ok_lines(out)) < after_ops:
                assert process.poll() is None, f"driver ended early: {err.read_text()[-2000:]}"
                assert time.monotonic() < deadline, "driver too slow to reach the kill point"
                time.sleep(0.05)
            os.kill(process.pid, signal.SIGKILL)
        finally:
            if process.poll() is None:
                process.kill()
            process.wait(timeout=10)
    assert process.returncode == -signal.SIGKILL, "the driver was still running when killed"
    errors = err.read_text()
    assert "Traceback" not in errors, f"an operation failed with a non-Paydesk error:\n{errors}"
    return ok_lines(out)


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_r7_sigkill_during_load_leaves_no_drift(tmp_path):
    customers = [
        CustomerFactory(currency="USD", debit_limit=Decimal(limit)) for limit in ("0", "25", "100")
    ]
    for customer in customers:
        payment_create(customer=customer, total="100", description="Opening top-up")
    ids = ",".join(str(c.pk) for c in customers)

    reported = run_and_kill(ids, tmp_path, "first", after_ops=600, seed=1)
    reported += run_and_kill(ids, tmp_path, "second", after_ops=300, seed=2)

    check = subprocess.run(
        [sys.executable, "-m", "paydesk", "check-balances"],
        capture_output=True,
        text=True,
        env=child_env(tmp_path),
        cwd=ROOT,
        timeout=60,
    )
    assert check.returncode == 0, check.stdout + check.stderr
    assert "All balances match the ledger." in check.stdout

    # Every operation acknowledged before a kill survived it, in the state it was acknowledged.
    expected_status = {
        "top_up": "completed",
        "purchase": "completed",
        "complete": "completed",
        "cancel": "cancelled",
    }
    states = dict(Payment.objects.values_list("reference", "status"))
    for line in reported:
        _ok, op, reference = line.split()
        assert reference in states, f"acknowledged {op} {reference} was lost"
        if op in expected_status:
            assert states[reference] == expected_status[op], line
    assert len(reported) >= 900
    created = {
        line.split()[2] for line in reported if line.split()[1] in ("top_up", "purchase", "pending")
    }
    assert Payment.objects.count() >= len(created) + len(customers)
    assert Payment.objects.filter(status=PaymentStatus.COMPLETED).count() > 100

    assert balance_drifts() == []
    for customer in customers:
        customer.refresh_from_db()
        assert customer.balance == completed_sum(customer.pk)
        assert customer.balance >= -customer.debit_limit
        assert_balance_after_chain(customer.pk)
