"""quality.md S10: staff sign in with a second factor. A staff session that has only passed the
password reaches no back-office page (every route of the URL configuration, so a page added
later is swept too), no staff API endpoint and no new staff API key; the same session does,
once it passes its second factor. No setting makes it optional for Administrators or Finance.
"""

from __future__ import annotations

import pytest
from django.test import Client, override_settings

from paydesk.api.models import ApiKey
from paydesk.twofactor.selectors import two_factor_required
from tests.api.conftest import ApiClient, key_for
from tests.factories import PortalUserFactory, StaffFactory
from tests.security.urlsweep import routes
from tests.signin import authenticator_for, next_code

pytestmark = pytest.mark.django_db

ENROL = "/accounts/two-factor/"
VERIFY = "/accounts/two-factor/verify/"
# Signing out is the one back-office page open before the second factor.
BACKOFFICE_ROUTES = [r for r in routes() if r.is_backoffice and r.name != "backoffice:logout"]


def password_only(user) -> Client:
    """A session as the sign-in page leaves it: the password passed, the second factor not."""
    client = Client()
    client.force_login(user)
    return client


def verify(client: Client, device) -> None:
    response = client.post(VERIFY, {"code": next_code(device)})
    assert response.status_code == 302, response.content.decode()[:500]


@pytest.mark.parametrize("route", BACKOFFICE_ROUTES, ids=lambda r: r.regex)
def test_no_back_office_page_before_the_second_factor(route, customer):
    path = route.path({"object_id": "1", "url": "x", "app_label": "ledger"})
    # Without a factor yet: sent to set one up. With one: sent to verify it.
    staff = StaffFactory(staff_role="admin")
    client = password_only(staff)
    for method in ("get", "post"):
        response = getattr(client, method)(path)
        assert response.status_code == 302, (method, path, response.status_code)
        assert response["Location"].startswith(ENROL), (method, path, response["Location"])
    authenticator_for(staff)
    for method in ("get", "post"):
        response = getattr(client, method)(path)
        assert response.status_code == 302, (method, path, response.status_code)
        assert response["Location"].startswith(VERIFY), (method, path, response["Location"])


@pytest.mark.parametrize("role", ["admin", "finance", "support"])
def test_every_staff_role_gets_in_once_the_second_factor_is_verified(role):
    staff = StaffFactory(staff_role=role)
    device = authenticator_for(staff)
    client = password_only(staff)
    assert client.get("/backoffice/")["Location"] == VERIFY + "?next=%2Fbackoffice%2F"
    verify(client, device)
    assert client.get("/backoffice/").status_code == 200
    assert client.get("/backoffice/ledger/payment/").status_code == 200


def test_the_staff_api_refuses_a_session_that_owes_the_second_factor(customer):
    finance = StaffFactory(staff_role="finance")
    device = authenticator_for(finance)
    client = password_only(finance)
    for path in ("/api/v1/staff/customers", "/api/cp/payment?company_id=1"):
        response = client.get(path)
        assert response.status_code == 401, (path, response.status_code)
        assert b"second factor" in response.content
    body = {"customer_id": customer.pk, "total": "5.00", "description": "Sneaky top-up"}
    assert ApiClient(client=client).post("/api/v1/staff/payments", body).status_code == 401
    verify(client, device)
    assert client.get("/api/v1/staff/customers").status_code == 200


def test_a_key_made_before_still_authenticates_by_itself(customer):
    """A key is its own credential (made by a verified session or by an operator's CLI); a
    password-only session beside it neither adds nor takes anything."""
    finance = StaffFactory(staff_role="finance")
    plain = key_for(finance, "read")
    client = password_only(finance)
    response = ApiClient(plain, client=client).get("/api/v1/staff/customers")
    assert response.status_code == 200


def test_no_staff_api_key_before_the_second_factor():
    finance = StaffFactory(staff_role="finance")
    device = authenticator_for(finance)
    client = password_only(finance)
    response = client.post("/api-keys/", {"name": "script", "scopes": ["read", "pay"]})
    assert response.status_code == 302 and response["Location"].startswith(VERIFY)
    assert not ApiKey.objects.exists()
    verify(client, device)
    response = client.post("/api-keys/", {"name": "script", "scopes": ["read", "pay"]})
    assert response.status_code == 201
    assert ApiKey.objects.filter(user=finance).count() == 1


@override_settings(PAYDESK_2FA_REQUIRED_ROLES=["admin", "finance"])
def test_support_made_optional_still_needs_a_verified_session_for_a_staff_key():
    support = StaffFactory(staff_role="support")
    client = password_only(support)
    assert not two_factor_required(support)
    assert client.get("/backoffice/").status_code == 200  # optional for Support here
    page = client.get("/api-keys/").content.decode()
    assert "two-factor sign-in" in page
    response = client.post("/api-keys/", {"name": "script", "scopes": ["read"]})
    assert response.status_code == 403
    assert not ApiKey.objects.exists()
    device = authenticator_for(support)  # once set up, Support's sessions must pass it too
    assert client.get("/backoffice/")["Location"].startswith(VERIFY)
    verify(client, device)
    assert client.post("/api-keys/", {"name": "script", "scopes": ["read"]}).status_code == 201


@override_settings(PAYDESK_2FA_REQUIRED_ROLES=[])
def test_no_setting_relaxes_administrators_or_finance():
    for role in ("admin", "finance"):
        staff = StaffFactory(staff_role=role)
        assert two_factor_required(staff)
        assert password_only(staff).get("/backoffice/")["Location"].startswith(ENROL)
    assert not two_factor_required(StaffFactory(staff_role="support"))


def test_portal_users_choose_and_once_enrolled_must_verify(customer):
    user = PortalUserFactory(customer=customer)
    client = password_only(user)
    assert client.get("/payments/").status_code == 200  # optional: nothing set up
    assert client.post("/api-keys/", {"name": "s", "scopes": ["read"]}).status_code == 201
    device = authenticator_for(user)
    for path in ("/payments/", "/api-keys/", "/pay/"):
        response = client.get(path)
        assert response.status_code == 302 and response["Location"].startswith(VERIFY), path
    assert client.get("/api/v1/balance").status_code == 401
    verify(client, device)
    assert client.get("/payments/").status_code == 200
    assert client.get("/api/v1/balance").status_code == 200
