"""The probe's finding 5: password reset was not throttled (five requests sent five emails).

Per address and per client address, through the shared cache; every answer is the same page
whether the address belongs to an account or not, throttled or not (no account enumeration).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from unittest import mock

import pytest
from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.core import mail
from django.core.cache import cache
from django.test import Client

from paydesk.audit.models import AuditEntry
from paydesk.notifications.models import EmailKind, EmailStatus, OutboundEmail
from paydesk.notifications.password_reset import LINK_HELD
from paydesk.notifications.services import outbox_send_due
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


def _sent() -> list:
    """What the worker's sweep delivers (the request only queues the email)."""
    outbox_send_due()
    return mail.outbox


def test_the_defaults_are_sane():
    assert settings.PAYDESK_PASSWORD_RESET_PER_ADDRESS == 3
    assert settings.PAYDESK_PASSWORD_RESET_PER_CLIENT == 10
    assert settings.PAYDESK_PASSWORD_RESET_WINDOW == 3600


def test_five_requests_for_one_address_send_at_most_the_limit(portal_user):
    pages = [_ask(portal_user.email, client_address=f"198.51.100.{n}") for n in range(5)]
    assert len(_sent()) == settings.PAYDESK_PASSWORD_RESET_PER_ADDRESS
    assert {page.redirect_chain[-1][0] for page in pages} == {"/accounts/password-reset/sent/"}
    assert all(page.status_code == 200 for page in pages)
    # Spelled otherwise, the address is still the same one.
    _ask(f"  {portal_user.email.upper()} ", client_address="198.51.100.99")
    assert len(_sent()) == settings.PAYDESK_PASSWORD_RESET_PER_ADDRESS
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
    assert len(_sent()) == settings.PAYDESK_PASSWORD_RESET_PER_CLIENT
    _ask(users[-1].email, client_address="203.0.113.5")  # another client is not held back
    assert len(_sent()) == settings.PAYDESK_PASSWORD_RESET_PER_CLIENT + 1


def test_the_answer_is_the_same_for_an_unknown_address_and_when_throttled(portal_user):
    known = [_ask(portal_user.email, client_address=f"192.0.2.{n}") for n in range(5)]
    unknown = [_ask("nobody@example.com", client_address=f"192.0.2.{n}") for n in range(5)]
    for page in (*known, *unknown):
        assert page.status_code == 200
        assert page.redirect_chain == known[0].redirect_chain
        assert page.content == known[0].content
    assert len(_sent()) == settings.PAYDESK_PASSWORD_RESET_PER_ADDRESS
    assert all(message.to == [portal_user.email] for message in _sent())


def test_the_limits_are_settings(portal_user, settings):
    settings.PAYDESK_PASSWORD_RESET_PER_ADDRESS = 1
    for n in range(3):
        _ask(portal_user.email, client_address=f"192.0.2.{n}")
    assert len(_sent()) == 1


def test_one_ipv6_client_counts_once_whichever_address_of_its_64_it_uses():
    """A host usually holds a whole /64: a new address per request must not reset the count."""
    users = [PortalUserFactory() for _ in range(settings.PAYDESK_PASSWORD_RESET_PER_CLIENT + 3)]
    for n, user in enumerate(users):
        _ask(user.email, client_address=f"2001:db8:7:8::{n + 1:x}")
    assert len(_sent()) == settings.PAYDESK_PASSWORD_RESET_PER_CLIENT
    _ask(users[-1].email, client_address="2001:db8:7:9::1")  # another /64 is not held back
    assert len(_sent()) == settings.PAYDESK_PASSWORD_RESET_PER_CLIENT + 1


def test_the_link_names_the_public_address_never_the_host_the_request_named(portal_user, settings):
    """The reset link carries a token that sets the password: it is built from
    PAYDESK_PUBLIC_URL, as every other email's links are, not from the Host header a client
    sent (any name ALLOWED_HOSTS admits: an app server's own, an old domain)."""
    settings.PAYDESK_PUBLIC_URL = "https://portal.example.com"
    settings.ALLOWED_HOSTS = ["testserver", "app-1.internal.example"]
    Client(REMOTE_ADDR="198.51.100.7").post(
        RESET, {"email": portal_user.email}, HTTP_HOST="app-1.internal.example"
    )
    [message] = _sent()
    assert "app-1.internal.example" not in message.subject + message.body
    [link] = [line for line in message.body.splitlines() if "/accounts/reset/" in line]
    assert link.startswith("https://portal.example.com/accounts/reset/")
    assert "portal.example.com" in message.subject


def test_the_request_only_queues_the_email_for_a_known_address_and_nothing_else(portal_user):
    """The review's finding: the email was sent by SMTP inside the request, so a known address
    took an SMTP conversation longer to answer than an unknown one. Now both are one page and no
    SMTP; a known address leaves one outbox row (without the link), the worker sends it."""
    known = _ask(portal_user.email)
    assert mail.outbox == []  # nothing sent by the request
    [row] = OutboundEmail.objects.all()
    assert (row.to, row.kind) == (portal_user.email, EmailKind.PASSWORD_RESET)
    unknown = _ask("nobody@example.com", client_address="198.51.100.8")
    assert OutboundEmail.objects.count() == 1
    assert unknown.content == known.content
    assert mail.outbox == []
    assert outbox_send_due() == 1
    [message] = mail.outbox
    assert message.to == [portal_user.email]


def test_the_link_the_worker_sends_sets_the_password_and_is_never_stored(portal_user):
    _ask(portal_user.email)
    [message] = _sent()
    [link] = [line for line in message.body.splitlines() if "/accounts/reset/" in line]
    html = message.alternatives[0][0]
    assert f'href="{link}"' in html
    # The outbox keeps what staff may read: the message without the link that sets a password.
    row = OutboundEmail.objects.get()
    token_part = link.rstrip("/").rsplit("/", 1)[1]
    assert token_part not in row.body_text + row.body_html + str(row.context)
    assert LINK_HELD in row.body_text
    client = Client()
    path = link.removeprefix(settings.PAYDESK_PUBLIC_URL.rstrip("/"))
    form = client.get(path, follow=True)
    assert "Choose a new password" in form.content.decode()
    new = "a-brand-new-passphrase-77"
    done = client.post(
        form.redirect_chain[-1][0], {"new_password1": new, "new_password2": new}, follow=True
    )
    assert done.redirect_chain[-1][0] == "/accounts/reset/done/"
    portal_user.refresh_from_db()
    assert portal_user.check_password(new)


def test_links_last_one_hour_by_default_and_the_email_says_so(portal_user):
    """Django's default was 3 days (PASSWORD_RESET_TIMEOUT); PAYDESK_PASSWORD_RESET_LINK_SECONDS.
    The page after the request says it too, for known and unknown addresses alike."""
    assert settings.PASSWORD_RESET_TIMEOUT == 3600
    for email in (portal_user.email, "nobody@example.com"):
        page = _ask(email).content.decode()
        assert "It works once, for 1 hour after it was sent." in page
        assert "expires after a while" not in page
    [message] = _sent()
    assert "It works once, for 1 hour after it was sent" in message.body
    assert "It works once, for 1 hour after it was sent" in message.alternatives[0][0]


def test_a_link_past_its_time_no_longer_sets_the_password(portal_user, settings):
    settings.PASSWORD_RESET_TIMEOUT = 5400
    _ask(portal_user.email)
    [message] = _sent()
    assert "for 1 hour 30 minutes after it was sent" in message.body
    [link] = [line for line in message.body.splitlines() if "/accounts/reset/" in line]
    path = link.removeprefix(settings.PAYDESK_PUBLIC_URL.rstrip("/"))
    later = datetime.now() + timedelta(seconds=5400 + 60)
    with mock.patch.object(default_token_generator, "_now", return_value=later):
        page = Client().get(path, follow=True)
    assert "Ask for a new link" in page.content.decode()
    assert 'name="new_password1"' not in page.content.decode()
    assert 'name="new_password1"' in Client().get(path, follow=True).content.decode()


def test_a_request_the_worker_reaches_after_the_link_would_have_expired_is_not_sent(portal_user):
    """Sent late (an SMTP outage), the link would outlast what the user was told: not sent,
    failed for staff to see, not retried."""
    _ask(portal_user.email)
    row = OutboundEmail.objects.get()
    late = row.created_at + timedelta(seconds=settings.PASSWORD_RESET_TIMEOUT + 1)
    assert outbox_send_due(now=late) == 0
    assert mail.outbox == []
    row.refresh_from_db()
    assert row.status == EmailStatus.FAILED and row.next_attempt_at is None
