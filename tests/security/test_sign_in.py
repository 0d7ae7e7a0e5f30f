"""quality.md S7: sign-in throttling; passwords hashed with Argon2 at Django's defaults."""

from __future__ import annotations

import pytest
from django.test import Client, override_settings

from paydesk.accounts.services import portal_user_create
from paydesk.audit.models import AuditEntry
from paydesk.settings import base
from tests.factories import PASSWORD, PortalUserFactory

pytestmark = pytest.mark.django_db


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
