"""The demo stays easy to try: its staff logins share a public authenticator secret that
`paydesk demo` prints with how to get a code (`paydesk totp-code`); a staff member added in the
demo sets up their own."""

from __future__ import annotations

import io
import json
import time
from datetime import UTC, datetime

import pytest
from django.core.management import call_command
from django.test import Client

from paydesk.accounts.models import User
from paydesk.accounts.services import staff_user_create
from paydesk.cli.management.commands.demo import Command as DemoCommand
from paydesk.demo.customers import DEMO_LOGINS
from paydesk.demo.seed import seed_demo
from paydesk.twofactor.models import AuthenticatorDevice
from paydesk.twofactor.totp import DEMO_TOTP_SECRET, STEP, totp_code, totp_key_from_secret

DEMO_KEY = totp_key_from_secret(DEMO_TOTP_SECRET)


@pytest.mark.django_db
def test_demo_staff_sign_in_with_the_public_secret_and_new_staff_set_up_their_own():
    seed_demo(now=datetime(2026, 11, 26, 10, 0, tzinfo=UTC))
    staff = [login for login in DEMO_LOGINS if login.who.startswith("Staff")]
    assert len(staff) == 3
    for login in staff:
        device = AuthenticatorDevice.objects.get(user__email=login.email)
        assert device.confirmed and device.key == DEMO_KEY
    assert not AuthenticatorDevice.objects.filter(user__customer__isnull=False).exists()
    admin = User.objects.get(email="admin@example.com")
    client = Client()
    client.post("/backoffice/login/", {"username": admin.email, "password": "demo-admin-pass"})
    assert client.get("/backoffice/")["Location"].startswith("/accounts/two-factor/verify/")
    out = io.StringIO()
    call_command("totp_code", "--json", stdout=out)
    code = json.loads(out.getvalue())["code"]
    assert client.post("/accounts/two-factor/verify/", {"code": code}).status_code == 302
    assert client.get("/backoffice/").status_code == 200
    newcomer = staff_user_create(
        email="new@example.com", password="a-new-pass-1234", role="finance", actor=admin
    )
    fresh = Client()
    fresh.force_login(newcomer)
    assert fresh.get("/backoffice/")["Location"].startswith("/accounts/two-factor/?next=")


def test_totp_code_prints_what_an_authenticator_app_shows():
    out = io.StringIO()
    before = time.time()
    call_command("totp_code", stdout=out)
    shown = out.getvalue().split()[0]
    assert shown in {totp_code(DEMO_KEY, at=before), totp_code(DEMO_KEY, at=before + STEP)}
    other = io.StringIO()
    call_command("totp_code", "--secret", "JBSWY3DPEHPK3PXP", "--json", stdout=other)
    assert len(json.loads(other.getvalue())["code"]) == 6


@pytest.mark.django_db  # the issuer is the brand's name, read from the database
def test_the_demo_prints_the_secret_and_how_to_get_a_code():
    text = "\n".join(DemoCommand().second_factor_lines(8123))
    assert DEMO_TOTP_SECRET in text
    assert f"otpauth://totp/Paydesk%20Telecom%3Ademo-staff?secret={DEMO_TOTP_SECRET}" in text
    assert "paydesk totp-code" in text
    assert "http://localhost:8123/" in text
