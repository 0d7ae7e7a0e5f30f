"""Setting up a second factor: a new staff member is sent to it, the QR code and the secret are
drawn on the server, a code from the app confirms it, recovery codes are shown once; a portal
user may do the same from their two-factor page; factors are removed only by a session that
passed one. Each step is audited."""

from __future__ import annotations

import re
import time

import pytest
from django.test import Client

from paydesk.audit.models import AuditEntry
from paydesk.twofactor.models import AuthenticatorDevice, RecoveryCode
from paydesk.twofactor.totp import STEP, totp_code, totp_key_from_secret, totp_key_new
from tests.factories import PortalUserFactory, StaffFactory
from tests.signin import authenticator_for, verified_login

pytestmark = pytest.mark.django_db

OVERVIEW = "/accounts/two-factor/"
ADD = "/accounts/two-factor/authenticator/"
SECRET = re.compile(r'data-secret="([A-Z2-7]+)"')


def password_only(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_a_new_staff_member_sets_up_an_authenticator_app():
    admin = StaffFactory(staff_role="admin")
    client = password_only(admin)
    response = client.get("/backoffice/")
    assert response["Location"] == OVERVIEW + "?next=%2Fbackoffice%2F"
    overview = client.get(response["Location"]).content.decode()
    assert "Set up a second factor to continue" in overview
    page = client.get(ADD + "?next=/backoffice/")
    assert page.status_code == 200 and page["Cache-Control"] == "no-store"
    html = page.content.decode()
    assert '<img class="qr" src="data:image/svg+xml' in html  # drawn here: nothing fetched
    assert "<script" not in html.split("<main", 1)[1].split("</main>", 1)[0]
    secret = SECRET.search(html).group(1)
    assert "otpauth://totp/Paydesk%20Telecom%3A" in html and f"secret={secret}" in html
    key = totp_key_from_secret(secret)
    # A wrong code changes nothing; the secret stays the same while the page is retried.
    wrong = client.post(ADD, {"name": "Work phone", "code": "12345"})
    assert "does not match" in wrong.content.decode()
    assert SECRET.search(wrong.content.decode()).group(1) == secret
    assert not AuthenticatorDevice.objects.filter(user=admin).exists()
    done = client.post(ADD + "?next=/backoffice/", {"name": "Work phone", "code": totp_code(key)})
    assert done.status_code == 200 and done["Cache-Control"] == "no-store"
    codes = re.findall(r"<li><code>([A-Z2-9-]{19})</code></li>", done.content.decode())
    assert len(codes) == 10 and 'href="/backoffice/"' in done.content.decode()
    assert RecoveryCode.objects.filter(device__user=admin).count() == 10
    device = AuthenticatorDevice.objects.get(user=admin)
    assert (device.name, device.confirmed, device.key) == ("Work phone", True, key)
    assert client.get("/backoffice/").status_code == 200  # this session is verified
    enrol = AuditEntry.objects.get(action="two_factor.enrol")
    assert enrol.actor == admin and enrol.after["factor"] == "authenticator"
    assert enrol.after["name"] == "Work phone" and secret not in str(enrol.after)
    assert key not in str(enrol.after)
    made = AuditEntry.objects.get(action="two_factor.recovery_codes")
    assert made.actor == admin and made.after["count"] == 10
    assert not any(code in str(made.after) for code in codes)


def test_the_code_that_confirmed_the_app_cannot_sign_in_again():
    finance = StaffFactory(staff_role="finance")
    client = password_only(finance)
    key = totp_key_from_secret(SECRET.search(client.get(ADD).content.decode()).group(1))
    code = totp_code(key)
    client.post(ADD, {"code": code})
    again = password_only(finance)
    response = again.post("/accounts/two-factor/verify/", {"code": code})
    assert "already been used" in response.content.decode()


def test_a_user_with_a_factor_cannot_add_another_before_verifying():
    finance = StaffFactory(staff_role="finance")
    authenticator_for(finance)
    client = password_only(finance)
    for path in (OVERVIEW, ADD):
        response = client.get(path)
        assert response.status_code == 302, path
        assert response["Location"].startswith("/accounts/two-factor/verify/"), path
    assert client.post(ADD, {"code": "123456"}).status_code == 302
    response = client.post("/accounts/two-factor/recovery-codes/")
    assert response["Location"].startswith("/accounts/two-factor/verify/")
    # Nor a passkey: django-otp-webauthn refuses to register one for this session.
    begin = client.post("/accounts/two-factor/passkeys/registration/begin/")
    assert begin.status_code == 403 and begin.json()["code"] == "user_not_verified"
    assert AuthenticatorDevice.objects.filter(user=finance).count() == 1


def test_portal_users_set_it_up_from_their_two_factor_page(customer):
    user = PortalUserFactory(customer=customer)
    client = password_only(user)
    dashboard = client.get("/").content.decode()
    assert f'href="{OVERVIEW}"' in dashboard
    overview = client.get(OVERVIEW).content.decode()
    assert "Optional" in overview
    key = totp_key_from_secret(SECRET.search(client.get(ADD).content.decode()).group(1))
    client.post(ADD, {"code": totp_code(key)})
    entry = AuditEntry.objects.get(action="two_factor.enrol")
    assert entry.actor == user and entry.customer_id == customer.pk
    page = client.get(OVERVIEW).content.decode()
    assert "Authenticator app" in page and "10 unused recovery codes left." in page


def test_removing_an_app_is_audited_and_staff_keep_at_least_one():
    finance = StaffFactory(staff_role="finance")
    client = Client()
    first = verified_login(client, finance)
    response = client.post(f"/accounts/two-factor/authenticator/{first.pk}/remove", follow=True)
    assert "add another one before removing" in response.content.decode()
    assert AuthenticatorDevice.objects.filter(pk=first.pk).exists()
    second = AuthenticatorDevice.objects.create(
        user=finance, name="Spare", key=totp_key_new(), confirmed=True
    )
    client.post(f"/accounts/two-factor/authenticator/{second.pk}/remove")
    assert not AuthenticatorDevice.objects.filter(pk=second.pk).exists()
    entry = AuditEntry.objects.get(action="two_factor.remove")
    assert entry.actor == finance and entry.before == {"factor": "authenticator", "name": "Spare"}


def test_a_portal_user_may_turn_it_off_and_the_recovery_codes_go_too(customer):
    user = PortalUserFactory(customer=customer)
    client = Client()
    device = verified_login(client, user)
    client.post("/accounts/two-factor/recovery-codes/")
    assert RecoveryCode.objects.filter(device__user=user).count() == 10
    client.post(f"/accounts/two-factor/authenticator/{device.pk}/remove")
    assert not AuthenticatorDevice.objects.filter(user=user).exists()
    assert not RecoveryCode.objects.filter(device__user=user).exists()
    assert client.get("/payments/").status_code == 200  # nothing owed any more


def test_nobody_removes_another_users_factor():
    finance = StaffFactory(staff_role="finance")
    theirs = authenticator_for(StaffFactory(staff_role="admin"))
    client = Client()
    verified_login(client, finance)
    assert client.post(f"/accounts/two-factor/authenticator/{theirs.pk}/remove").status_code == 404
    assert AuthenticatorDevice.objects.filter(pk=theirs.pk).exists()


def test_new_recovery_codes_need_a_verified_session_and_are_shown_once():
    admin = StaffFactory(staff_role="admin")
    client = Client()
    verified_login(client, admin)
    response = client.post("/accounts/two-factor/recovery-codes/")
    assert response.status_code == 200 and response["Cache-Control"] == "no-store"
    codes = re.findall(r"<li><code>([A-Z2-9-]{19})</code></li>", response.content.decode())
    assert len(codes) == 10
    assert not any(code in client.get(OVERVIEW).content.decode() for code in codes)


def test_the_totp_window_is_one_step_either_side():
    """A phone clock a little off still works; one a minute off does not."""
    finance = StaffFactory(staff_role="finance")
    client = password_only(finance)
    key = totp_key_from_secret(SECRET.search(client.get(ADD).content.decode()).group(1))
    late = totp_code(key, at=time.time() - 3 * STEP)
    assert "does not match" in client.post(ADD, {"code": late}).content.decode()
    assert client.post(ADD, {"code": totp_code(key, at=time.time() - STEP)}).status_code == 200
    assert AuthenticatorDevice.objects.filter(user=finance).exists()


def test_a_new_recovery_code_hashes_as_it_is_typed_and_anything_else_is_refused():
    from paydesk.twofactor.recovery import (
        recovery_code_digest,
        recovery_code_hash,
        recovery_code_new,
        recovery_salt_new,
    )

    salt, code = recovery_salt_new(), recovery_code_new()
    assert recovery_code_hash(salt, code) == recovery_code_digest(salt, code.lower())
    with pytest.raises(ValueError, match="Not a recovery code"):
        recovery_code_hash(salt, "not-a-code")
