"""`paydesk demo`: refuses outside the demo settings, never erases a database it does not own,
and from nothing serves the seeded demo with its static files until interrupted."""

from __future__ import annotations

import io
import os
import re
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import httpx
import psutil
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import override_settings

from paydesk.accounts.models import Customer
from paydesk.cli.management.commands.demo import Command as DemoCommand
from paydesk.cli.management.commands.demo import demo_processes, parse_addr
from paydesk.demo.customers import DEMO_LOGINS
from paydesk.twofactor.totp import DEMO_TOTP_SECRET
from paydesk.vouchers.codes import voucher_code_is_well_formed


@pytest.mark.django_db
def test_demo_refuses_without_the_demo_settings(customer):
    with pytest.raises(CommandError, match="only with the demo settings"):
        call_command("demo", "--addr", "127.0.0.1:8999", stdout=io.StringIO())
    assert Customer.objects.filter(pk=customer.pk).exists()


def test_demo_refuses_under_production_settings_even_when_run_directly(tmp_path):
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "paydesk.settings.production",
        "SECRET_KEY": "x" * 50,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'prod.sqlite3'}",
        "PAYDESK_VAR_DIR": str(tmp_path / "var"),
    }
    result = subprocess.run(
        [sys.executable, "-m", "django", "demo"],
        env=env, cwd=tmp_path, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert result.returncode == 1
    assert "only with the demo settings" in result.stderr
    assert not (tmp_path / "prod.sqlite3").exists()


@pytest.mark.django_db
def test_a_database_named_by_database_url_is_never_erased(customer, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "the test database")
    with pytest.raises(CommandError, match="already holds customers"):
        DemoCommand().prepare_database(keep=False)
    DemoCommand().prepare_database(keep=True)
    assert Customer.objects.filter(pk=customer.pk).exists()


@pytest.mark.django_db
def test_demo_refuses_an_address_in_use_before_touching_the_database(customer, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "the test database")  # never the demo's own file
    with socket.socket() as taken, override_settings(PAYDESK_DEMO=True):
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(CommandError, match="the address is in use"):
            call_command("demo", "--addr", f"127.0.0.1:{port}", stdout=io.StringIO())
    assert Customer.objects.filter(pk=customer.pk).exists()


def test_the_demo_runs_the_background_worker_beside_the_web_server():
    processes = demo_processes("127.0.0.1:8000")
    assert list(processes) == ["web server", "worker"]
    assert processes["worker"][1:] == ["-m", "paydesk", "worker"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [("127.0.0.1:8011", ("127.0.0.1", 8011)), ("8000", ("127.0.0.1", 8000)),
     ("[::1]:8080", ("::1", 8080)), ("0.0.0.0:80", ("0.0.0.0", 80))],
)  # fmt: skip
def test_addr_forms(text, expected):
    assert parse_addr(text) == expected


@pytest.mark.parametrize("text", ["localhost", "127.0.0.1:", "127.0.0.1:70000", "x:y"])
def test_bad_addr_is_refused(text):
    with pytest.raises(CommandError, match="--addr"):
        parse_addr(text)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.mark.slow
@pytest.mark.sqlite_pass_only
def test_demo_from_nothing_serves_pages_and_static_files_then_stops_on_ctrl_c(tmp_path):
    var = tmp_path / "var"
    var.mkdir()
    (var / "demo.sqlite3").write_text("not a database: the demo must start from scratch")
    env = {
        k: v for k, v in os.environ.items() if k not in ("DJANGO_SETTINGS_MODULE", "DATABASE_URL")
    }
    env["PAYDESK_VAR_DIR"] = str(var)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    demo = subprocess.Popen(
        [sys.executable, "-m", "paydesk", "demo", "--addr", f"127.0.0.1:{port}"],
        env=env, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        with httpx.Client(base_url=base, trust_env=False, timeout=10) as client:
            deadline = time.monotonic() + 180
            while True:
                assert demo.poll() is None, demo.communicate()
                assert time.monotonic() < deadline, "the demo did not start within 3 minutes"
                try:
                    login = client.get("/backoffice/login/")
                    break
                except httpx.TransportError:
                    time.sleep(0.5)
            assert login.status_code == 200
            css = client.get("/static/admin/css/base.css")
            assert css.status_code == 200
            assert css.headers["content-type"].startswith("text/css")
        children = psutil.Process(demo.pid).children(recursive=True)
        assert any("worker" in child.cmdline() for child in children), "no background worker"
        with sqlite3.connect(var / "demo.sqlite3") as db:
            counts = dict(db.execute("SELECT customer_id, COUNT(*) FROM ledger_payment GROUP BY 1"))
        assert len(counts) == 2 and min(counts.values()) >= 200
    finally:
        demo.send_signal(signal.SIGINT)
        out, err = demo.communicate(timeout=60)
    assert demo.returncode == 0, err
    for login in DEMO_LOGINS:
        assert f"{login.email}" in out and login.password in out
    # The staff's second factor: the public authenticator secret and how to get a code.
    assert DEMO_TOTP_SECRET in out and "totp-code" in out
    # One unused free-credit code and one bonus code, printed beside the logins.
    code = r"[0-9A-Z]{4}(?:-[0-9A-Z]{4}){3}-[0-9A-Z]"
    codes = re.findall(rf"(?:Free credit|Bonus)[^\n]*?({code})$", out, re.M)
    assert len(codes) == 2 and all(voucher_code_is_well_formed(code) for code in codes), out
    assert "Stopping the demo" in out
    assert not [child for child in children if child.is_running()], "Ctrl-C left a process behind"
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", port), timeout=2).close()
    assert Path(var / "static" / "admin" / "css" / "base.css").exists()
