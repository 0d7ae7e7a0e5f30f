"""Shared fixtures. The database under test is SQLite unless DATABASE_URL names PostgreSQL
(scripts/run_tests.py runs the suite once on each)."""

from __future__ import annotations

import os
import shutil

import pytest
from django.db import connection

IN_CI = os.environ.get("CI") == "true"
CHROMIUM = os.environ.get("PAYDESK_CHROMIUM", "/usr/bin/chromium")


def pytest_runtest_setup(item: pytest.Item) -> None:
    if item.get_closest_marker("postgres") and connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: run with DATABASE_URL=postgres://… (make test does)")
    if item.get_closest_marker("browser") and not shutil.which(CHROMIUM):
        if IN_CI:
            pytest.fail(f"CI=true and no browser at {CHROMIUM}: .ci/run must install chromium")
        pytest.skip(f"needs Debian's chromium at {CHROMIUM} (apt-get install chromium)")


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


@pytest.fixture
def page(monkeypatch):
    """A headless Chromium page (Debian's browser, driven by Playwright) sized like a phone,
    collecting console errors (a script or style refused by the CSP shows up there)."""
    # Playwright's sync API runs an event loop in this thread; the test's own database calls
    # are still plain synchronous ones.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, args=["--no-sandbox", "--headless"]
        )
        page = browser.new_page(viewport={"width": 390, "height": 844})
        page.console_errors = []  # type: ignore[attr-defined]
        page.on(
            "console",
            lambda message: message.type == "error" and page.console_errors.append(message.text),
        )
        yield page
        browser.close()


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
