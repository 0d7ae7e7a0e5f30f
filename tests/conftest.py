"""Shared fixtures. The database under test is SQLite unless DATABASE_URL names PostgreSQL
(scripts/run_tests.py runs the suite once on each)."""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from django.db import connection, connections

IN_CI = os.environ.get("CI") == "true"
CHROMIUM = os.environ.get("PAYDESK_CHROMIUM", "/usr/bin/chromium")


# The tests in the order they ran: PGAPPNAME carries this run's process id and a test's number
# (and as much of its name as PostgreSQL keeps), so that a session left open on the test
# database is known as this run's and names its test.
RAN: list[str] = []
RUN = f"pytest-{os.getpid()}"


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_protocol(item: pytest.Item) -> None:
    RAN.append(item.nodeid)
    # libpq's application_name for every connection opened from now on, the test's child
    # processes' too (they inherit the environment); PostgreSQL keeps 63 bytes of it.
    os.environ["PGAPPNAME"] = f"{RUN}:{len(RAN)} {item.nodeid}"[:63]


def pytest_runtest_setup(item: pytest.Item) -> None:
    if item.get_closest_marker("postgres") and connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: run with DATABASE_URL=postgres://… (make test does)")
    if item.get_closest_marker("browser") and not shutil.which(CHROMIUM):
        if IN_CI:
            pytest.fail(f"CI=true and no browser at {CHROMIUM}: .ci/run must install chromium")
        pytest.skip(f"needs Debian's chromium at {CHROMIUM} (apt-get install chromium)")


def other_sessions(cursor) -> list[tuple]:
    """The sessions on PostgreSQL's test database but `cursor`'s own: (pid, application_name,
    backend_start, state, query)."""
    cursor.execute(
        "SELECT pid, application_name, backend_start, state, left(query, 120)"
        " FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
        " ORDER BY backend_start"
    )
    return cursor.fetchall()


def other_sessions_ended(cursor, *, within: float = 10) -> list[tuple]:
    """Wait (at most `within` s) until no other session uses PostgreSQL's test database: the
    server ends a child process's session a moment after the process exits. The ones left."""
    deadline = time.monotonic() + within
    while (left := other_sessions(cursor)) and time.monotonic() < deadline:
        time.sleep(0.1)
    return left


def opened_during(application_name: str) -> str | None:
    """The test of this run during which a session was opened, from its application_name."""
    run, _, number = application_name.split(" ", 1)[0].partition(":")
    if run != RUN or not number.isdigit() or not 0 < int(number) <= len(RAN):
        return None
    return RAN[int(number) - 1]


def session_described(pid: int, application_name: str, started, state: str, query: str) -> str:
    test = opened_during(application_name) or "no test of this run"
    return (
        f"pid {pid}, opened at {started:%H:%M:%S} UTC during {test} ({application_name!r}),"
        f" {state}, last statement: {query}"
    )


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """pytest-django's test database; at the end, before it drops PostgreSQL's, the check that no
    test left a session open on it (a connection of a thread, a child process, a second
    connection of its own): one left open keeps the database from being dropped, and only here
    can it still be told which test opened it."""
    yield
    if connection.vendor != "postgresql":
        return
    with django_db_blocker.unblock(), connection.cursor() as cursor:
        left = other_sessions_ended(cursor)
        # This run's are named below, then ended, so that it leaves no test database behind;
        # another program's (a psql, a second run on the same database) are only named.
        for pid, application_name, *_ in left:
            if opened_during(application_name):
                cursor.execute("SELECT pg_terminate_backend(%s)", [pid])
    if left:
        pytest.fail(
            "Sessions still open on the test database at the end of the run:\n"
            + "\n".join(session_described(*session) for session in left),
            pytrace=False,
        )


@pytest.fixture
def customer(db):
    from tests.factories import CustomerFactory

    return CustomerFactory(currency="USD")


@pytest.fixture
def portal_user(customer):
    from tests.factories import PortalUserFactory

    return PortalUserFactory(customer=customer)


@pytest.fixture
def finance_user(db):
    from tests.factories import StaffFactory

    return StaffFactory(staff_role="finance")


@pytest.fixture
def support_user(db):
    from tests.factories import StaffFactory

    return StaffFactory(staff_role="support")


@pytest.fixture
def admin_user(db):
    from tests.factories import StaffFactory

    return StaffFactory(staff_role="admin")


@contextmanager
def chromium_launched(monkeypatch: pytest.MonkeyPatch) -> Iterator:
    """Debian's Chromium, headless, driven by Playwright's sync API; closed at the end, with the
    database connections the test opened while it ran.

    Playwright runs an event loop in this thread, and while it runs Django keeps this thread's
    connections apart (asgiref's Local keeps them per async context then): the test's queries
    open a second connection that pytest-django never sees, so never closes. Left open, it kept
    PostgreSQL's test database from being dropped at the end of the run ("is being accessed by
    other users"); it is closed here, while that loop still runs."""
    # The test's own database calls are still plain synchronous ones.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, args=["--no-sandbox", "--headless"]
        )
        try:
            yield browser
        finally:
            browser.close()
            connections.close_all()


@pytest.fixture
def page(monkeypatch):
    """A headless Chromium page (Debian's browser, driven by Playwright) sized like a phone,
    collecting console errors (a script or style refused by the CSP shows up there)."""
    with chromium_launched(monkeypatch) as browser:
        page = browser.new_page(viewport={"width": 390, "height": 844})
        page.console_errors = []  # type: ignore[attr-defined]
        page.on(
            "console",
            lambda message: message.type == "error" and page.console_errors.append(message.text),
        )
        yield page


REDIS_URL = os.environ.get("PAYDESK_TEST_REDIS_URL", "redis://127.0.0.1:6379/5")


def redis_or_skip() -> None:
    """Flush the tests' Redis database (PAYDESK_TEST_REDIS_URL); skip without one (fail under
    CI=true)."""
    import redis

    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2).flushdb()
    except redis.RedisError as error:
        message = f"needs Redis at {REDIS_URL} ({error})"
        if IN_CI:
            pytest.fail(f"CI=true and no Redis: {message}")
        pytest.skip(message)


@pytest.fixture
def redis_cache():
    """The app's cache is Redis (paydesk.web.cache.RedisCache), flushed before and after."""
    from django.core.cache import caches
    from django.test import override_settings

    redis_or_skip()
    with override_settings(
        CACHES={"default": {"BACKEND": "paydesk.web.cache.RedisCache", "LOCATION": REDIS_URL}}
    ):
        yield caches["default"]
    redis_or_skip()


@pytest.fixture(params=["memory", "redis"])
def any_cache(request):
    """Each test twice: the tests' cache in memory (counting key by key), then Redis."""
    from django.core.cache import cache, caches

    if request.param == "redis":
        yield request.getfixturevalue("redis_cache")
        return
    cache.clear()
    yield caches["default"]
    cache.clear()


@pytest.fixture(autouse=True)
def _fresh_memory_cache():
    """Every test starts with an empty in-memory cache: rate-limit and voucher-failure counters
    are keyed by ids that a rolled-back database hands out again, so one test's failed attempts
    (tests/web/test_hostile_forms.py makes many) must not lock the next test's user out."""
    from django.core.cache import caches

    for alias in caches:
        cache = caches[alias]
        if type(cache).__name__ == "LocMemCache":
            cache.clear()
    yield
