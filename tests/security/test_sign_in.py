"""quality.md S7: sign-in throttling, counting a name however it is spelled (letter case,
surrounding spaces), on the portal's and the back office's sign-in; passwords hashed with Argon2
at Django's defaults."""

from __future__ import annotations

import pytest
from django.test import Client, override_settings

from paydesk.accounts.services import portal_user_create
from paydesk.audit.models import AuditEntry
from paydesk.settings import base
from tests.factories import PASSWORD, PortalUserFactory, StaffFactory

pytestmark = pytest.mark.django_db

SIGN_IN_PAGES = {"portal": "/accounts/login/", "back office": "/backoffice/login/"}


def _spellings(email: str) -> list[str]:
    """Ways to type one address that sign-in accepts as the same name."""
    local, domain = email.split("@")
    return [
        email.upper(),
        f"  {email}  ",
        f"{local.capitalize()}@{domain.upper()}",
        f"\t{email.upper()} ",
        email.swapcase(),
    ]


def _user(where: str, email: str):
    if where == "back office":
        return StaffFactory(email=email, staff_role="finance")
    return PortalUserFactory(email=email)


def _try(client: Client, where: str, name: str, password: str):
    data = {"username": name, "password": password}
    if where == "back office":
        data["next"] = "/backoffice/"
    return client.post(SIGN_IN_PAGES[where], data)


def _signed_in(client: Client) -> bool:
    return "_auth_user_id" in client.session


@pytest.mark.parametrize("where", SIGN_IN_PAGES)
def test_a_locked_name_stays_locked_whatever_its_spelling(where):
    """Six wrong passwords lock lock1@example.com; the right one under any other spelling of
    the name is refused too (the probe's finding: each case variant got fresh guesses)."""
    user = _user(where, "lock1@example.com")
    client = Client()
    for _ in range(base.AXES_FAILURE_LIMIT):
        _try(client, where, user.email, "wrong")
    for spelling in [user.email, *_spellings(user.email)]:
        response = _try(client, where, spelling, PASSWORD)
        assert response.status_code == 429, (where, repr(spelling), response.status_code)
        assert not _signed_in(client), repr(spelling)


@pytest.mark.parametrize("where", SIGN_IN_PAGES)
def test_failures_under_different_spellings_add_up_to_one_lock(where):
    """Guesses spread over spellings count against one name: the limit-th failure locks."""
    user = _user(where, "lock2@example.com")
    client = Client()
    names = _spellings(user.email)
    for attempt in range(base.AXES_FAILURE_LIMIT - 1):
        response = _try(client, where, names[attempt % len(names)], "wrong")
        assert response.status_code == 200, (attempt, response.status_code)
    last = _try(client, where, names[-1], "wrong")
    assert last.status_code == 429
    assert _try(client, where, user.email, PASSWORD).status_code == 429
    assert not _signed_in(client)


@pytest.mark.parametrize("where", SIGN_IN_PAGES)
def test_any_spelling_of_the_name_signs_in_with_the_right_password(where):
    user = _user(where, "spelled@example.com")
    for spelling in _spellings(user.email):
        client = Client()
        response = _try(client, where, spelling, PASSWORD)
        assert response.status_code == 302, (repr(spelling), response.status_code)
        assert client.session["_auth_user_id"] == str(user.pk)


def test_a_look_alike_letter_is_another_name_not_a_fresh_spelling():
    """Letters whose upper case is an ASCII one (the long s, the dotless i) could match the
    address in a case-insensitive database lookup yet count as another name: they sign in to
    nobody."""
    user = PortalUserFactory(email="sissi@example.com")
    for look_alike in ("\u017fissi@example.com", "s\u0131ssi@example.com"):
        client = Client()
        response = _try(client, "portal", look_alike, PASSWORD)
        assert response.status_code in (200, 429), response.status_code
        assert not _signed_in(client)
    assert user.pk


def test_repeated_failures_lock_the_account_for_that_address():
    user = PortalUserFactory()
    client = Client()
    for _ in range(base.AXES_FAILURE_LIMIT - 1):
        response = client.post("/accounts/login/", {"username": user.email, "password": "wrong"})
        assert response.status_code == 200  # the form again, with its error
    last = client.post("/accounts/login/", {"username": user.email, "password": "wrong"})
    assert last.status_code == 429  # the limit-th failure locks
    locked = client.post("/accounts/login/", {"username": user.email, "password": PASSWORD})
    assert locked.status_code == 429
    assert "_auth_user_id" not in client.session
    assert AuditEntry.objects.filter(
        action="auth.sign_in_failed", actor_email=user.email
    ).count() >= (base.AXES_FAILURE_LIMIT)


@pytest.mark.parametrize("where", SIGN_IN_PAGES)
def test_ipv6_addresses_are_locked_by_their_64_bit_prefix(where):
    """One host usually holds a whole IPv6 /64: guessing each time from another address of it
    gave fresh guesses without end (the voucher limit already counts a /64 as one client).
    The lock holds for every address of the /64, and only for it."""
    user = _user(where, "six@example.com")
    for n in range(base.AXES_FAILURE_LIMIT):
        _try(Client(REMOTE_ADDR=f"2001:db8:1:2::{n + 1:x}"), where, user.email, "wrong")
    client = Client(REMOTE_ADDR="2001:db8:1:2:ffff:ffff:ffff:fffe")
    assert _try(client, where, user.email, PASSWORD).status_code == 429
    assert not _signed_in(client)
    elsewhere = Client(REMOTE_ADDR="2001:db8:1:3::1")  # another /64: another client
    assert _try(elsewhere, where, user.email, PASSWORD).status_code == 302
    assert _signed_in(elsewhere)


def test_a_correct_password_signs_in_and_is_audited():
    user = PortalUserFactory()
    client = Client()
    response = client.post("/accounts/login/", {"username": user.email, "password": PASSWORD})
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(user.pk)
    assert AuditEntry.objects.filter(action="auth.sign_in", actor=user).exists()


def test_production_hashes_passwords_with_argon2(customer):
    assert base.PASSWORD_HASHERS[0].endswith("Argon2PasswordHasher")
    with override_settings(PASSWORD_HASHERS=base.PASSWORD_HASHERS):
        user = portal_user_create(
            customer=customer, email="a@example.com", password="Long-enough-pass-42"
        )
    assert user.password.startswith("argon2$")
    assert "Long-enough-pass-42" not in user.password


@pytest.mark.parametrize("where", SIGN_IN_PAGES)
def test_a_wrong_password_is_refused_without_saying_the_email_may_be_case_sensitive(where):
    """Django's default error said "Note that both fields may be case-sensitive": the email is
    matched whatever its case (above), so only the password's case is worth a word."""
    user = _user(where, "casing@example.com")
    response = _try(Client(), where, user.email, "wrong")
    html = response.content.decode()
    assert "both fields may be case-sensitive" not in html
    assert "The password is case-sensitive." in html
    assert "Enter a correct email and password" in html
