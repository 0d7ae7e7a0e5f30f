"""Passkeys on the server side (the browser ceremony itself is in test_browser.py): a second
factor only — never a way to sign in without the password — refused while the second factor is
locked, and a refused assertion counts like a wrong code."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from django.test import Client

from paydesk.audit.models import AuditEntry
from paydesk.settings import base
from paydesk.twofactor.models import SecondFactorLock
from tests.factories import StaffFactory
from tests.signin import authenticator_for

pytestmark = pytest.mark.django_db

BEGIN = "/accounts/two-factor/passkeys/authentication/begin/"
COMPLETE = "/accounts/two-factor/passkeys/authentication/complete/"


def test_no_passwordless_sign_in():
    response = Client().post(BEGIN)
    assert response.status_code == 403
    assert response.json()["code"] == "passwordless_login_disabled"
    assert base.OTP_WEBAUTHN_ALLOW_PASSWORDLESS_LOGIN is False


def test_a_refused_assertion_counts_towards_the_lock():
    finance = StaffFactory(staff_role="finance")
    authenticator_for(finance)
    client = Client()
    client.force_login(finance)
    assert client.post(BEGIN).status_code == 200
    forged = {"id": "AAAA", "rawId": "AAAA", "type": "public-key", "response": {}}
    response = client.post(COMPLETE, forged, content_type="application/json")
    assert 400 <= response.status_code < 500
    assert SecondFactorLock.objects.get(user=finance).failures == 1
    entry = AuditEntry.objects.get(action="two_factor.verify_failed")
    assert entry.after["factor"] == "passkey"
    assert client.get("/backoffice/").status_code == 302


def test_locked_means_no_ceremony():
    from datetime import timedelta

    from django.utils import timezone

    finance = StaffFactory(staff_role="finance")
    authenticator_for(finance)
    SecondFactorLock.objects.create(
        user=finance, locked_until=timezone.now() + timedelta(minutes=5)
    )
    client = Client()
    client.force_login(finance)
    assert client.post(BEGIN).status_code == 429
    assert client.post(COMPLETE, {}, content_type="application/json").status_code == 429


def test_production_binds_passkeys_to_the_public_host(tmp_path):
    """With the production settings the relying party is configured, never read from the
    request: https://portal.example.com → portal.example.com, and no passwordless sign-in."""
    script = (
        "import django; django.setup(); from django.conf import settings as s; "
        "print(s.OTP_WEBAUTHN_RP_ID, s.OTP_WEBAUTHN_ALLOWED_ORIGINS, "
        "getattr(s, 'OTP_WEBAUTHN_HELPER_CLASS', None), s.OTP_WEBAUTHN_ALLOW_PASSWORDLESS_LOGIN)"
    )
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "paydesk.settings.production",
        "SECRET_KEY": "x" * 50,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'prod.sqlite3'}",
        "PAYDESK_PUBLIC_URL": "https://portal.example.com",
    }
    out = subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, check=True
    ).stdout.strip()
    assert out == "portal.example.com ['https://portal.example.com'] None False"
