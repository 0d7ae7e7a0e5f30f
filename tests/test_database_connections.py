"""The tests close every connection they open to the test database: a browser test's, opened
while Playwright's event loop runs, is closed with the browser; and a run in which a test leaves
one open (a thread's, a child process's) fails naming that test, where pytest-django would only
have warned that it could not drop PostgreSQL's test database."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connection, connections

from tests.conftest import chromium_launched

ROOT = Path(__file__).resolve().parent.parent

LEAKY_TEST = """
import threading

import pytest

from paydesk.accounts.models import Customer

STOP = threading.Event()


@pytest.mark.django_db(transaction=True)
def test_a_thread_keeps_its_connection():
    asked = threading.Event()

    def hold():
        Customer.objects.exists()  # this thread's own connection, never closed
        asked.set()
        STOP.wait()

    threading.Thread(target=hold, daemon=True).start()
    asked.wait()
"""


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_the_connection_a_browser_test_opens_is_closed_with_the_browser(monkeypatch):
    outside = connections["default"]
    with chromium_launched(monkeypatch):
        inside = connections["default"]
        inside.ensure_connection()
        assert inside is not outside  # Django's connection while the event loop runs
    assert inside.connection is None


@pytest.mark.postgres
@pytest.mark.django_db
def test_a_run_in_which_a_test_leaves_a_session_open_fails_naming_it(tmp_path):
    (tmp_path / "conftest.py").write_text("from tests.conftest import *  # noqa: F403\n")
    (tmp_path / "test_leaky.py").write_text(LEAKY_TEST)
    db = connection.settings_dict
    auth = db["USER"] + (f":{db['PASSWORD']}" if db.get("PASSWORD") else "")
    host = f"{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "paydesk.settings.test",
        "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), str(ROOT)]),
        # its own test database (test_<this one>_leak) beside this run's
        "DATABASE_URL": f"postgres://{auth}@{host}/{db['NAME']}_leak",
    }
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(tmp_path)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert run.returncode == 1, run.stdout + run.stderr
    assert "Sessions still open on the test database at the end of the run:" in run.stdout
    assert "during test_leaky.py::test_a_thread_keeps_its_connection" in run.stdout
    assert "last statement: SELECT 1 AS" in run.stdout  # the thread's exists()
    assert "could not drop" not in run.stdout.lower()
    assert "Error when trying to teardown test databases" not in run.stdout
