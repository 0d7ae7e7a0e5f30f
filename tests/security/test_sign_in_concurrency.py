"""Passwords sent at once get no more checks than passwords sent one by one (the review's finding:
django-axes counted a failure after checking the password, so every request in flight was
checked, however many past the limit); and the per-name limit across addresses slows a guesser
spread over many addresses without keeping the account's owner out.

Each password check is counted by a hasher that is the suite's own (MD5, tests only) plus a
count of its verify calls: the number of passwords actually compared."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.conf import settings
from django.contrib.auth.hashers import MD5PasswordHasher
from django.test import Client

from tests.factories import PASSWORD, PortalUserFactory
from tests.vouchers.conftest import run_at_once

LOGIN = "/accounts/login/"
AT_ONCE = 8


class CountingHasher(MD5PasswordHasher):
    """The suite's hasher, counting the passwords it compares."""

    checks = 0
    lock = threading.Lock()

    def verify(self, password: str, encoded: str) -> bool:
        with CountingHasher.lock:
            CountingHasher.checks += 1
        return super().verify(password, encoded)


@pytest.fixture
def counted_checks(settings):
    settings.PASSWORD_HASHERS = ["tests.security.test_sign_in_concurrency.CountingHasher"]
    CountingHasher.checks = 0
    return CountingHasher


def _sign_in(email: str, password: str, address: str):
    return Client(REMOTE_ADDR=address).post(LOGIN, {"username": email, "password": password})


@pytest.mark.django_db(transaction=True)
def test_wrong_passwords_at_once_are_checked_at_most_the_limit(counted_checks):
    """Threads with their own connections, on the suite's database (make test: PostgreSQL)."""
    user = PortalUserFactory()
    outcomes = run_at_once(AT_ONCE, lambda i: _sign_in(user.email, f"wrong-{i}", "198.51.100.20"))
    statuses = [getattr(o, "status_code", repr(o)) for o in outcomes]
    limit = settings.AXES_FAILURE_LIMIT
    assert AT_ONCE > limit
    assert set(statuses) <= {200, 429}, statuses
    assert counted_checks.checks <= limit, statuses  # before: all AT_ONCE were checked
    assert statuses.count(429) >= AT_ONCE - limit + 1, statuses
    # The pair is locked: the right password is refused, unchecked.
    checks = counted_checks.checks
    assert _sign_in(user.email, PASSWORD, "198.51.100.20").status_code == 429
    assert counted_checks.checks == checks


@pytest.mark.django_db(transaction=True)
def test_guesses_at_once_from_many_addresses_are_checked_at_most_the_per_name_limit(
    counted_checks, settings
):
    settings.PAYDESK_LOGIN_USER_FAILURE_LIMIT = 3
    user = PortalUserFactory()
    outcomes = run_at_once(
        AT_ONCE, lambda i: _sign_in(user.email, f"wrong-{i}", f"198.51.100.{30 + i}")
    )
    statuses = [getattr(o, "status_code", repr(o)) for o in outcomes]
    assert set(statuses) <= {200, 429}, statuses
    assert counted_checks.checks <= 3, statuses
    assert statuses.count(429) >= AT_ONCE - 3, statuses


@pytest.mark.django_db
def test_a_guesser_spread_over_addresses_is_slowed_but_not_the_owner(counted_checks, settings):
    """PAYDESK_LOGIN_USER_FAILURE_LIMIT failures for one name, from any addresses, hold back
    every address that never signed in to the account; the owner's own address still signs
    in; once the guesses stop for the cool-off, other addresses are checked again."""
    settings.PAYDESK_LOGIN_USER_FAILURE_LIMIT = 3
    user = PortalUserFactory()
    assert _sign_in(user.email, PASSWORD, "203.0.113.1").status_code == 302  # the owner's
    for n in range(3):
        assert _sign_in(user.email, "guess", f"198.51.100.{40 + n}").status_code == 200
    checks = counted_checks.checks
    refused = [_sign_in(user.email, "guess", f"198.51.100.{50 + n}") for n in range(4)]
    assert [r.status_code for r in refused] == [429] * 4
    assert _sign_in(user.email, PASSWORD, "198.51.100.60").status_code == 429  # even right
    assert counted_checks.checks == checks  # none of them was checked
    # Not a lock on the account: its owner's address signs in.
    assert _sign_in(user.email, PASSWORD, "203.0.113.1").status_code == 302
    # Not for good: a cool-off after the last guess, the count has gone.
    AccessAttempt.objects.update(
        attempt_time=AccessAttempt.objects.get(ip_address="198.51.100.40").attempt_time
        - settings.AXES_COOLOFF_TIME
        - timedelta(minutes=1)
    )
    assert _sign_in(user.email, PASSWORD, "198.51.100.61").status_code == 302
