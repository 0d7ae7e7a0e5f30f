"""A reset of someone's credentials (accounts/resets.py) revokes their API keys and ends their
sessions: a new password from the emailed link, a password an Administrator sets, an
Administrator's reset of their second factors. Changing one's own password keeps the keys."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest
from django.core import mail
from django.core.cache import cache
from django.test import Client
from django.urls import reverse

from paydesk.api.models import ApiKey
from paydesk.api.services import api_key_authenticate, api_key_create
from paydesk.audit.models import AuditEntry
from paydesk.sessions.models import UserSession
from tests.factories import PASSWORD, StaffFactory
from tests.signin import sign_in, verified_login

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "a-new-Password-for-2026"


@pytest.fixture(autouse=True)
def fresh_counts():
    cache.clear()  # the password reset's throttle counts live in the shared cache
    yield
    cache.clear()


def keys_of(user, count: int = 2) -> list[str]:
    return [api_key_create(user=user, name=f"script {n}", scopes=["read"])[1] for n in range(count)]


def revocations(reason: str) -> list[AuditEntry]:
    return [
        entry
        for entry in AuditEntry.objects.filter(action="api_key.revoke").order_by("pk")
        if entry.after.get("reason") == reason
    ]


def test_a_new_password_from_the_emailed_link_revokes_the_keys_and_ends_every_session(
    portal_user,
):
    plains = keys_of(portal_user)
    signed_in = sign_in(Client(), portal_user)
    assert signed_in.get("/").status_code == 200
    assert Client().get("/api/v1/balance", headers={"X-Api-Key": plains[0]}).status_code == 200

    client = Client()
    client.post("/accounts/password-reset/", {"email": portal_user.email})
    (email,) = mail.outbox
    assert "revokes your API keys" in email.body
    link = re.search(r"https?://\S+/accounts/reset/\S+/", email.body).group(0)
    form = client.get(urlsplit(link).path, follow=True)
    assert "revokes your API keys" in form.content.decode()
    done = client.post(
        form.redirect_chain[-1][0],
        {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
        follow=True,
    )
    assert "your API keys are revoked" in done.content.decode()
    portal_user.refresh_from_db()
    assert portal_user.check_password(NEW_PASSWORD)

    assert all(api_key_authenticate(plain=plain) is None for plain in plains)
    assert Client().get("/api/v1/balance", headers={"X-Api-Key": plains[0]}).status_code == 401
    entries = revocations("password reset")
    assert len(entries) == 2 and all(entry.actor == portal_user for entry in entries)
    assert AuditEntry.objects.filter(action="user.password_reset", actor=portal_user).exists()
    assert signed_in.get("/")["Location"].startswith("/accounts/login/")
    assert not UserSession.objects.filter(user=portal_user).exists()


def test_a_password_an_administrator_sets_revokes_the_keys_but_not_their_own(admin_user):
    finance = StaffFactory(staff_role="finance")
    theirs = keys_of(finance)
    own = keys_of(admin_user, 1)
    signed_in = sign_in(Client(), finance)
    administrator = sign_in(Client(), admin_user)
    page = administrator.get(reverse("backoffice:backoffice_staffuser_password", args=[finance.pk]))
    assert "every API key of theirs is revoked" in page.content.decode()
    response = administrator.post(
        reverse("backoffice:backoffice_staffuser_password", args=[finance.pk]),
        {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
        follow=True,
    )
    assert "their API keys are revoked" in response.content.decode()
    assert all(api_key_authenticate(plain=plain) is None for plain in theirs)
    entries = revocations("password set by an Administrator")
    assert len(entries) == 2 and all(entry.actor == admin_user for entry in entries)
    assert signed_in.get("/backoffice/")["Location"].startswith("/backoffice/login/")
    # Setting one's own password there is a change, not a reset: the keys stay.
    administrator.post(
        reverse("backoffice:backoffice_staffuser_password", args=[admin_user.pk]),
        {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
    )
    assert api_key_authenticate(plain=own[0]) is not None


def test_a_reset_of_the_second_factors_revokes_the_keys_and_ends_every_session(admin_user):
    finance = StaffFactory(staff_role="finance")
    theirs = keys_of(finance)
    signed_in = sign_in(Client(), finance)
    administrator = sign_in(Client(), admin_user)
    url = reverse("backoffice:backoffice_staffuser_two_factor_reset", args=[finance.pk])
    assert "every API key of theirs is revoked" in administrator.get(url).content.decode()
    response = administrator.post(url, follow=True)
    assert "their API keys are revoked" in response.content.decode()
    assert not ApiKey.objects.filter(user=finance, revoked_at__isnull=True).exists()
    assert all(api_key_authenticate(plain=plain) is None for plain in theirs)
    entries = revocations("two-factor sign-in reset by an Administrator")
    assert len(entries) == 2 and all(entry.actor == admin_user for entry in entries)
    sign_out = AuditEntry.objects.get(action="auth.sessions_sign_out", object_id=str(finance.pk))
    assert sign_out.actor == admin_user and sign_out.after["sessions"] == 1
    assert signed_in.get("/backoffice/")["Location"].startswith("/backoffice/login/")


def test_changing_ones_own_password_keeps_the_keys(portal_user):
    plains = keys_of(portal_user, 1)
    client = sign_in(Client(), portal_user)
    response = client.post(
        "/accounts/password/",
        {"old_password": PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    assert response.status_code == 302
    assert api_key_authenticate(plain=plains[0]) is not None
    assert not AuditEntry.objects.filter(action="api_key.revoke").exists()


def test_a_staff_member_signed_in_with_a_verified_session_loses_it_at_the_reset(admin_user):
    """The session of the user reset is gone, not merely unverified."""
    finance = StaffFactory(staff_role="finance")
    theirs = Client()
    verified_login(theirs, finance)
    administrator = sign_in(Client(), admin_user)
    administrator.post(
        reverse("backoffice:backoffice_staffuser_two_factor_reset", args=[finance.pk])
    )
    assert theirs.get("/accounts/two-factor/")["Location"].startswith("/accounts/login/")
