"""quality.md S10: rate limits hold across processes (the probe's finding 4: with a cache in
each process's memory, a voucher failure limit of 5 allowed 10 tries over 2 workers, and an API
rate of 10/m let 20 of 30 requests through).

Two real gunicorn servers, as the README deploys them, serve the same database and share the
cache — once Redis (database 5), once the database cache — and requests alternate between them:
the voucher failure limit and the API rate count once for both. No timing assertions: the API's
window is a minute, and the whole exchange takes seconds.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from django.core.management import call_command
from django.db import connection
from django.test import override_settings

from paydesk.api.services import api_key_create
from tests.conftest import REDIS_URL, redis_or_skip
from tests.factories import CustomerFactory, PortalUserFactory
from tests.reliability.test_crash import ROOT, child_env
from tests.reliability.test_server_crash import free_port

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

VOUCHER_LIMIT = 5
API_RATE = 10
DATABASE_CACHE = {
    "default": {"BACKEND": "paydesk.web.cache.DatabaseCache", "LOCATION": "paydesk_cache"}
}


@pytest.fixture(params=["redis", "database"])
def shared_cache(request):
    """The environment that makes the servers share one cache, made ready (and cleared)."""
    if request.param == "redis":
        redis_or_skip()
        yield {"PAYDESK_CACHE": "redis", "REDIS_URL": REDIS_URL}
        redis_or_skip()
        return
    # `migrate` makes the database cache's table itself (post_migrate): nothing else to run.
    with override_settings(CACHES=DATABASE_CACHE):
        call_command("migrate", verbosity=0)
    assert "paydesk_cache" in connection.introspection.table_names()
    yield {"PAYDESK_CACHE": "database"}
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE paydesk_cache")


def _serve(port: int, env: dict[str, str], log: Path) -> subprocess.Popen:
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "--workers",
            "1",
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
        start_new_session=True,
    )
    for _ in range(150):
        try:
            if httpx.get(f"http://127.0.0.1:{port}/api/v1/ping", timeout=2).status_code == 200:
                return server
        except httpx.HTTPError:
            time.sleep(0.2)
    os.killpg(server.pid, signal.SIGKILL)
    raise AssertionError("gunicorn did not start:\n" + log.read_text())


@pytest.fixture
def two_servers(shared_cache, tmp_path):
    env = {
        **child_env(tmp_path),
        **shared_cache,
        "PAYDESK_API_RATE": f"{API_RATE}/m",
        "PAYDESK_VOUCHER_FAILURE_LIMIT": str(VOUCHER_LIMIT),
    }
    servers, bases = [], []
    try:
        for name in ("a", "b"):
            port = free_port()
            servers.append(_serve(port, env, tmp_path / f"gunicorn-{name}.log"))
            bases.append(f"http://127.0.0.1:{port}")
        yield bases
    finally:
        for server in servers:
            os.killpg(server.pid, signal.SIGTERM)
        for server in servers:
            try:
                server.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(server.pid, signal.SIGKILL)
                server.wait()


def _key(user, name: str) -> str:
    return api_key_create(user=user, name=name, scopes=["read", "pay"])[1]


def test_the_voucher_limit_and_the_api_rate_hold_across_two_servers(two_servers):
    user = PortalUserFactory(customer=CustomerFactory(currency="USD"))
    voucher_key, reading_key = _key(user, "vouchers"), _key(user, "reads")

    # Wrong voucher codes, alternating between the servers: 5 failures in all, then 429.
    answers = []
    for attempt in range(2 * VOUCHER_LIMIT + 2):
        answer = httpx.post(
            f"{two_servers[attempt % 2]}/api/v1/payments",
            json={"method": "voucher", "code": f"WRONG-{attempt:04d}", "currency": "USD"},
            headers={"Authorization": f"Bearer {voucher_key}"},
            timeout=30,
        )
        answers.append(answer.status_code)
    refused = [status for status in answers if status != 429]
    assert len(refused) == VOUCHER_LIMIT, answers
    assert all(400 <= status < 500 for status in refused), answers
    assert answers[VOUCHER_LIMIT:] == [429] * (len(answers) - VOUCHER_LIMIT), answers

    # 30 reads with one key at 10 a minute, alternating: 10 answered in all, 20 refused.
    reads = [
        httpx.get(
            f"{two_servers[n % 2]}/api/v1/balance",
            headers={"Authorization": f"Bearer {reading_key}"},
            timeout=30,
        ).status_code
        for n in range(3 * API_RATE)
    ]
    assert reads.count(200) == API_RATE, reads
    assert reads.count(429) == 2 * API_RATE, reads
    assert {reads[0], reads[1]} == {200}  # both servers answered before the limit


@pytest.mark.sqlite_pass_only
@pytest.mark.parametrize("cache, refused", [("memory", True), ("database", False)])
def test_production_settings_refuse_a_process_local_cache(cache, refused):
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "paydesk.settings.production",
        "SECRET_KEY": "a-production-like-key",
        "DATABASE_URL": "postgres://paydesk@127.0.0.1:5432/never-connected",
        "PAYDESK_CACHE": cache,
    }
    env.pop("PAYDESK_SANDBOX", None)
    env.pop("PAYDESK_DEMO", None)
    run = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert (run.returncode != 0) is refused, run.stderr[-2000:]
    assert ("process-local cache" in run.stderr) is refused


def test_the_database_cache_counts_every_concurrent_increment_and_keeps_its_expiry():
    """Eight connections add to one counter at once: no count is lost, and counting never
    moves the end of the counter's window (Django's generic incr does both)."""
    from django.core.cache import caches

    from tests.reliability.helpers import raise_worker_errors, run_workers

    with override_settings(CACHES=DATABASE_CACHE):
        call_command("createcachetable", verbosity=0)
        try:
            cache = caches["default"]
            assert cache.add("counter", 1, timeout=900)

            def expires() -> object:
                with connection.cursor() as cursor:
                    cursor.execute("SELECT expires FROM paydesk_cache")
                    return cursor.fetchone()[0]

            window_end = expires()

            def work(index, barrier):
                barrier.wait()
                return [caches["default"].incr("counter") for _ in range(10)]

            results = run_workers(8, work)
            raise_worker_errors(results)
            seen = sorted(n for r in results for n in r.value)
            assert seen == list(range(2, 82))  # every increment saw its own count
            assert cache.get("counter") == 81
            assert cache.decr("counter") == 80
            assert expires() == window_end
            cache.delete("counter")
            with pytest.raises(ValueError):
                cache.incr("counter")
        finally:
            with connection.cursor() as cursor:
                cursor.execute("DROP TABLE paydesk_cache")
