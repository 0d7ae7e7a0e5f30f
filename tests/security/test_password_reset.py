"""The probe's finding 5: password reset was not throttled (five requests sent five emails).

Per address and per client address, through the shared cache; every answer is the same page
whether the address belongs to an account or not, throttled or not (no account enumeration).
"""

from __future__ import annotations

import pytest
from django.conf import settings
from django.core import mail
from django.core.cache import cache
from django.test import Client

from paydesk.audit.models import AuditEntry
from tests.factories import PortalUserFactory

pytestmark = pytest.mark.django_db

RESET = "/accounts/password-reset/"


@pytest.fixture(autouse=True)
def fresh_counts():
    cache.clear()  # the suite's one process keeps counts between tests
    yield
    cache.clear()


def _ask(email: str, *, client_address: str = "198.51.100.7"):
    return Client(REMOTE_ADDR=client_address).post(RESET, {"email": email}, follow=True)


def test_the_defaults_are_sane():
    assert settings.PAYDESK_PASSWORD_RESET_PER_ADDRESS == 3
    assert settings.PAYDESK_PASSWORD_RESET_PER_CLIENT == 10
    assert settings.PAYDESK_PASSWORD_RESET_WINDOW == 3600


def test_five_requests_for_one_address_send_at_most_the_limit(portal_user):
    pages = [_ask(portal_user.email, client_address=f"198.51.100.{n}") for n in range(5)]
    assert len(mail.outbox) == settings.PAYDESK_PASSWORD_RESET_PER_ADDRESS
    assert {page.redirect_chain[-1][0] for page in pages} == {"/accounts/password-reset/sent/"}
    assert all(page.status_code == 200 for page in pages)
    # Spelled otherwise, the address is still the same one.
    _ask(f"  {portal_user.email.upper()} ", client_address="198.51.100.99")
    assert len(mail.outbox) == settings.PAYDESK_PASSWORD_RESET_PER_ADDRESS
    assert (
        AuditEntry.objects.filter(
            action="auth.password_reset_throttled", actor_email=portal_user.email
        ).count()
        == 1
    )


def test_one_client_asking_for_many_addresses_is_throttled_too():
    users = [PortalUserFactory() for _ in range(settings.PAYDESK_PASSWORD_RESET_PER_CLIENT + 3)]
    for user in users:
        _ask(user.email)
    assert len(mail.outbox) == settings.PAYDESK_PASSWORD_RESET_PER_CLIENT
    _ask(users[-1].email, client_address="203.0.113.5")  # another client is not held back
    assert len(mail.outbox) == settings.PAYDESK_PASSWORD_RESET_PER_CLIENT + 1


def test_the_answer_is_the_same_for_an_unknown_address_and_when_throttled(portal_user):
    known = [_ask(portal_user.email, client_address=f"192.0.2.{n}") for n in range(5)]
    unknown = [_ask("nobody@example.com", client_address=f"192.0.2.{n}") for n in range(5)]
    for page in (*known, *unknown):
        assert page.status_code == 200
        assert page.redirect_chain == known[0].redirect_chain
        assert page.content == known[0].content
    assert len(mail.outbox) == settings.PAYDESK_PASSWORD_RESET_PER_ADDRESS
    assert all(message.to == [portal_user.email] for message in mail.outbox)


def test_the_limits_are_settings(portal_user, settings):
    settings.PAYDESK_PASSWORD_RESET_PER_ADDRESS = 1
    for n in range(3):
        _ask(portal_user.email, client_address=f"192.0.2.{n}")
    assert len(mail.outbox) == 1


def test_one_ipv6_client_counts_once_whichever_address_of_its_64_it_uses():
    """A host usually holds a whole /64: a new address per request must not reset the count."""
    users = [PortalUserFactory() for _ in range(settings.PAYDESK_PASSWORD_RESET_PER_CLIENT + 3)]
    for n, user in enumerate(users):
        _ask(user.email, client_address=f"2001:db8:7:8::{n + 1:x}")
    assert len(mail.outbox) == settings.PAYDESK_PASSWORD_RESET_PER_CLIENT
    _ask(users[-1].email, client_address="2001:db8:7:9::1")  # another /64 is not held back
    assert len(mail.outbox) == settings.PAYDESK_PASSWORD_RESET_PER_CLIENT + 1


def test_the_link_names_the_public_address_never_the_host_the_request_named(portal_user, settings):
    """The reset link carries a token that sets the password: it is built from
    PAYDESK_PUBLIC_URL, as every other email's links are, not from the Host header a client
    sent (any name ALLOWED_HOSTS admits: an app server's own, an old domain)."""
    settings.PAYDESK_PUBLIC_URL = "https://portal.example.com"
    settings.ALLOWED_HOSTS = ["testserver", "app-1.internal.example"]
    Client(REMOTE_ADDR="198.51.100.7").post(
        RESET, {"email": portal_user.email}, HTTP_HOST="app-1.internal.example"
    )
    [message] = mail.outbox
    assert "app-1.internal.example" not in message.subject + message.body
    [link] = [line for line in message.body.splitlines() if "/accounts/reset/" in line]
    assert link.startswith("https://portal.example.com/accounts/reset/")
    assert "portal.example.com" in message.subject
