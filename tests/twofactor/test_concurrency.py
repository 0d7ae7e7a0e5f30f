"""One code, many sign-ins at once: an authenticator code or a recovery code is accepted once
however many requests race with it, and wrong codes racing each other still lock the second
factor. Threads with their own database connections, on SQLite and on PostgreSQL."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.test import Client

from paydesk.audit.models import AuditEntry
from paydesk.twofactor.models import SecondFactorLock
from paydesk.twofactor.services import recovery_codes_generate
from tests.factories import StaffFactory
from tests.signin import authenticator_for, next_code
from tests.vouchers.conftest import run_at_once

AT_ONCE = 8
VERIFY = "/accounts/two-factor/verify/"


def _clients(user) -> list[Client]:
    clients = []
    for _ in range(AT_ONCE):
        client = Client()
        client.force_login(user)
        clients.append(client)
    return clients


def _one_code_at_once_is_accepted_once() -> None:
    finance = StaffFactory(staff_role="finance")
    device = authenticator_for(finance)
    codes = recovery_codes_generate(user=finance)
    for code in (next_code(device), codes[0]):
        clients = _clients(finance)
        outcomes = run_at_once(
            AT_ONCE, lambda i, clients=clients, code=code: clients[i].post(VERIFY, {"code": code})
        )
        statuses = [getattr(o, "status_code", repr(o)) for o in outcomes]
        # One sign-in gets in; the others are refused (a used code counts as a wrong one, so
        # enough of them lock the second factor: 429).
        assert statuses.count(302) == 1, (code, statuses)
        assert set(statuses) <= {200, 302, 429}, (code, statuses)
        SecondFactorLock.objects.filter(user=finance).delete()
    assert AuditEntry.objects.filter(action="two_factor.verify").count() == 2


def _wrong_codes_at_once_still_lock() -> None:
    """Guesses sent together get no more tries than guesses sent one by one: each is counted
    before its code is checked, so past PAYDESK_2FA_FAILURE_LIMIT the rest are refused
    unchecked (429). Counted only after the check, all of them were checked: as many guesses
    per lock as requests in flight."""
    finance = StaffFactory(staff_role="finance")
    authenticator_for(finance)
    clients = _clients(finance)
    outcomes = run_at_once(AT_ONCE, lambda i: clients[i].post(VERIFY, {"code": f"{i:06d}"}))
    statuses = [getattr(o, "status_code", repr(o)) for o in outcomes]
    assert set(statuses) <= {200, 429}, statuses
    limit = settings.PAYDESK_2FA_FAILURE_LIMIT
    assert AT_ONCE > limit
    assert SecondFactorLock.objects.get(user=finance).locked_until is not None
    assert AuditEntry.objects.filter(action="two_factor.verify_failed").count() == limit
    assert AuditEntry.objects.filter(action="two_factor.locked").count() == 1


@pytest.mark.django_db(transaction=True)
def test_one_code_at_once_is_accepted_once_on_sqlite():
    _one_code_at_once_is_accepted_once()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_one_code_at_once_is_accepted_once_on_postgresql():
    _one_code_at_once_is_accepted_once()


@pytest.mark.django_db(transaction=True)
def test_wrong_codes_at_once_still_lock_on_sqlite():
    _wrong_codes_at_once_still_lock()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_wrong_codes_at_once_still_lock_on_postgresql():
    _wrong_codes_at_once_still_lock()
