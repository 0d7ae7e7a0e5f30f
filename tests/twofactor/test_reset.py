"""An Administrator resets another user's second factors from the back office (a lost phone):
every factor goes, the lock is lifted, the user's sessions lose the second factor at once and
they set up a new one at their next sign-in. Audited with the acting Administrator."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from paydesk.audit.models import AuditEntry
from paydesk.errors import PermissionDenied
from paydesk.twofactor.models import AuthenticatorDevice, RecoveryCodeDevice, SecondFactorLock
from paydesk.twofactor.services import recovery_codes_generate, second_factors_reset
from tests.factories import PortalUserFactory, StaffFactory
from tests.signin import verified_login

pytestmark = pytest.mark.django_db


def reset_url(user) -> str:
    kind = "staffuser" if user.is_staff else "portaluser"
    return reverse(f"backoffice:backoffice_{kind}_two_factor_reset", args=[user.pk])


def change_url(user) -> str:
    return reverse("backoffice:backoffice_staffuser_change", args=[user.pk])


def test_an_administrator_resets_a_staff_members_factors():
    admin, finance = StaffFactory(staff_role="admin"), StaffFactory(staff_role="finance")
    theirs = Client()
    verified_login(theirs, finance)
    recovery_codes_generate(user=finance)
    SecondFactorLock.objects.create(user=finance, failures=3)
    assert theirs.get("/backoffice/").status_code == 200
    client = Client()
    verified_login(client, admin)
    page = client.get(change_url(finance)).content.decode()
    assert "1 authenticator app(s), 10 recovery code(s) left" in page
    assert f'href="{reset_url(finance)}"' in page
    confirm = client.get(reset_url(finance))
    assert confirm.status_code == 200 and finance.email in confirm.content.decode()
    response = client.post(reset_url(finance))
    assert response.status_code == 302 and response["Location"] == change_url(finance)
    assert not AuthenticatorDevice.objects.filter(user=finance).exists()
    assert not RecoveryCodeDevice.objects.filter(user=finance).exists()
    assert not SecondFactorLock.objects.filter(user=finance).exists()
    entry = AuditEntry.objects.get(action="two_factor.reset")
    assert entry.actor == admin and entry.object_id == str(finance.pk)
    assert entry.before == {"authenticators": 1, "passkeys": 0, "recovery_code_sets": 1}
    # Their open session ended (tests/security/test_credential_resets.py): signed out.
    assert theirs.get("/backoffice/")["Location"].startswith("/backoffice/login/")


def test_a_portal_users_factors_too(customer):
    admin, user = StaffFactory(staff_role="admin"), PortalUserFactory(customer=customer)
    verified_login(Client(), user)
    client = Client()
    verified_login(client, admin)
    assert client.post(reset_url(user)).status_code == 302
    assert not AuthenticatorDevice.objects.filter(user=user).exists()
    assert AuditEntry.objects.get(action="two_factor.reset").customer_id == customer.pk


def test_only_administrators_and_never_their_own():
    admin, finance = StaffFactory(staff_role="admin"), StaffFactory(staff_role="finance")
    verified_login(Client(), admin)
    client = Client()
    verified_login(client, finance)
    assert client.post(reset_url(admin)).status_code in (302, 403)
    assert AuthenticatorDevice.objects.filter(user=admin).exists()
    with pytest.raises(PermissionDenied):
        second_factors_reset(user=admin, actor=finance)
    own = Client()
    verified_login(own, admin)
    response = own.post(reset_url(admin), follow=True)
    assert "Ask another Administrator" in response.content.decode()
    assert AuthenticatorDevice.objects.filter(user=admin).exists()
    assert not AuditEntry.objects.filter(action="two_factor.reset").exists()
