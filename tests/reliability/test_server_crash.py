"""Reliability R7 through the web server: gunicorn serving the back office is killed with
SIGKILL (master and workers, no warning) while Finance users post payments over HTTP; after a
restart `paydesk check-balances` is clean and every payment the server acknowledged survived.

The load posts the back office's add-payment form (top-ups and purchases, some refused at the
credit limit) from four client threads, each signed in as a Finance user with its own session.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from decimal import Decimal
from pathlib import Path

import httpx
import pytest
from django.test import override_settings

from paydesk.accounts.models import User
from paydesk.accounts.services import staff_user_create
from paydesk.ledger.models import Payment
from paydesk.ledger.selectors import balance_drifts
from paydesk.ledger.services import payment_create
from paydesk.settings import base
from tests.factories import CustomerFactory
from tests.reliability.helpers import assert_balance_after_chain, completed_sum
from tests.reliability.test_crash import ROOT, child_env
from tests.signin import authenticator_for, next_code

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

PASSWORD = "load-test-finance-pass"
CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
PAYMENT_ID = re.compile(r"/backoffice/ledger/payment/(\d+)/change/")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_server(port: int, env: dict[str, str], log: Path) -> subprocess.Popen:
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "--workers",
            "2",
            "--threads",
            "2",
            "--bind",
            f"127.0.0.1:{port}",
            "paydesk.wsgi:application",
        ],
        env=env,
        cwd=ROOT,
        stdout=log.open("ab"),
        stderr=subprocess.STDOUT,
        start_new_session=True,  # its own process group: one killpg reaches every worker
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if (
                httpx.get(f"http://127.0.0.1:{port}/backoffice/login/", timeout=2).status_code
                == 200
            ):
                return server
        except httpx.HTTPError:
            time.sleep(0.2)
    os.killpg(server.pid, signal.SIGKILL)
    raise AssertionError("gunicorn did not start:\n" + log.read_text())


def signed_in_client(base: str, email: str) -> httpx.Client:
    client = httpx.Client(base_url=base, timeout=10)
    page = client.get("/backoffice/login/")
    token = CSRF.search(page.text).group(1)
    response = client.post(
        "/backoffice/login/",
        data={
            "username": email,
            "password": PASSWORD,
            "csrfmiddlewaretoken": token,
            "next": "/backoffice/",
        },
    )
    assert response.status_code == 302, response.text[response.text.find("errornote") :][:400]
    # Then the second factor, with a code from the user's authenticator app.
    device = authenticator_for(User.objects.get(email=email))
    verify = client.get("/accounts/two-factor/verify/")
    response = client.post(
        "/accounts/two-factor/verify/",
        data={"code": next_code(device), "csrfmiddlewaretoken": CSRF.search(verify.text).group(1)},
    )
    assert response.status_code == 302, response.text
    return client


def post_payments(
    client: httpx.Client,
    customer_ids: list[int],
    acknowledged: list[int],
    stop: threading.Event,
    seed: int,
) -> None:
    """Post until the server goes away (or `stop`); record each acknowledged payment id."""
    import random

    rng = random.Random(seed)
    try:
        token = CSRF.search(client.get("/backoffice/ledger/payment/add/").text).group(1)
        while not stop.is_set():
            total = rng.choice(["25", "10.50", "-7.25", "-30", "0.0125", "-0.0125"])
            response = client.post(
                "/backoffice/ledger/payment/add/",
                data={
                    "customer": str(rng.choice(customer_ids)),
                    "description": f"Load {total} #http load",
                    "total": total,
                    "status": "completed",
                    "form_token": uuid.uuid4().hex,
                    "csrfmiddlewaretoken": token,
                },
            )
            assert response.status_code in (200, 302), response.status_code  # never a 5xx
            if response.status_code == 302:
                acknowledged.append(int(PAYMENT_ID.search(response.headers["location"]).group(1)))
    except httpx.HTTPError:
        return  # the server was killed under us


def load_then_kill(
    port: int,
    env: dict[str, str],
    log: Path,
    customer_ids: list[int],
    emails: list[str],
    kill_after: int,
) -> list[int]:
    server = start_server(port, env, log)
    base = f"http://127.0.0.1:{port}"
    acknowledged: list[int] = []
    stop = threading.Event()
    clients = [signed_in_client(base, email) for email in emails]
    threads = [
        threading.Thread(target=post_payments, args=(c, customer_ids, acknowledged, stop, n))
        for n, c in enumerate(clients)
    ]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + 60
    while len(acknowledged) < kill_after and time.monotonic() < deadline:
        time.sleep(0.05)
    os.killpg(server.pid, signal.SIGKILL)  # mid-load: requests are in flight
    server.wait(timeout=10)
    stop.set()
    for thread in threads:
        thread.join(timeout=30)
    for client in clients:
        client.close()
    assert len(acknowledged) >= kill_after, log.read_text()[-2000:]
    return acknowledged


def test_r7_server_killed_under_http_load_leaves_no_drift(tmp_path):
    customers = [CustomerFactory(currency="USD", debit_limit=Decimal(d)) for d in ("0", "50")]
    for customer in customers:
        payment_create(customer=customer, total="20", description="Opening top-up")
    emails = [f"finance{n}@example.com" for n in range(4)]
    # Hashed as the server (production hashers) can check it, not with the tests' fast hasher.
    with override_settings(PASSWORD_HASHERS=base.PASSWORD_HASHERS):
        for email in emails:
            staff_user_create(email=email, password=PASSWORD, role="finance", validate=False)
    env = child_env(tmp_path)
    log = tmp_path / "gunicorn.log"
    ids = [c.pk for c in customers]

    port = free_port()
    acknowledged = load_then_kill(port, env, log, ids, emails, kill_after=120)
    acknowledged += load_then_kill(port, env, log, ids, emails, kill_after=60)

    check = subprocess.run(
        [sys.executable, "-m", "paydesk", "check-balances"],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=60,
    )
    assert check.returncode == 0, check.stdout + check.stderr
    assert "All balances match the ledger." in check.stdout
    stored = set(Payment.objects.filter(pk__in=acknowledged).values_list("pk", flat=True))
    assert stored == set(acknowledged)  # every acknowledged payment survived the kill
    assert "Traceback" not in log.read_text()
    assert balance_drifts() == []
    for customer in customers:
        customer.refresh_from_db()
        assert customer.balance == completed_sum(customer.pk)
        assert customer.balance >= -customer.debit_limit
        assert_balance_after_chain(customer.pk)
