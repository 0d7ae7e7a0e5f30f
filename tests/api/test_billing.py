"""GET / PUT /api/v1/billing/profile: the caller's own profile, manage billing, JSON errors."""

from __future__ import annotations

import json

import pytest

from paydesk.accounts.models import BillingProfile
from paydesk.audit.models import AuditEntry
from tests.api.conftest import key_for
from tests.factories import PortalUserFactory

pytestmark = pytest.mark.django_db
URL = "/api/v1/billing/profile"


def _put(client, key, body, **headers):
    return client.put(
        URL,
        json.dumps(body),
        content_type="application/json",
        headers={"Authorization": f"Bearer {key}", **headers},
    )


def _get(client, key):
    return client.get(URL, headers={"Authorization": f"Bearer {key}"})


@pytest.fixture
def manager():
    return PortalUserFactory(can_manage_billing=True)


def test_put_then_get_the_profile(client, manager):
    key = key_for(manager)
    empty = _get(client, key)
    assert empty.status_code == 200
    assert empty.json()["legal_name"] == "" and empty.json()["updated_at"] is None
    response = _put(
        client,
        key,
        {
            "legal_name": "Nordlicht Telekom GmbH",
            "country": "DE",
            "tax_id": "DE 136 695 976",
            "contacts": ["Buchhaltung@nordlicht.example"],
        },
    )
    assert response.status_code == 200, response.content
    data = response.json()
    assert (data["tax_id"], data["tax_id_checked"], data["country"]) == (
        "DE136695976",
        True,
        "DE",
    )
    assert data["contacts"] == ["buchhaltung@nordlicht.example"]
    assert data["updated_by_staff"] is False
    assert _get(client, key).json()["legal_name"] == "Nordlicht Telekom GmbH"
    # A field left out stays.
    _put(client, key, {"city": "Hamburg"})
    assert _get(client, key).json()["tax_id"] == "DE136695976"
    assert AuditEntry.objects.filter(action="billing_profile.update").count() == 2


@pytest.mark.parametrize(
    ("country", "tax_id"),
    [
        ("DE", "DE136695978"),
        ("FR", "FR41303265045"),
        ("GB", "GB980780685"),
        ("IT", "IT00743110158"),
        ("NL", "NL004495446B01"),
        ("ES", "ESA58818502"),
        ("IN", "27AAPFU0939F1ZW"),
    ],
)
def test_an_invalid_tax_id_is_a_422_with_its_code(client, manager, country, tax_id):
    response = _put(client, key_for(manager), {"country": country, "tax_id": tax_id})
    assert response.status_code == 422
    error = response.json()["error"]
    assert (error["code"], error["field"]) == ("invalid_tax_id", "tax_id")
    assert "check digits" in error["message"]
    assert not BillingProfile.objects.exists()


def test_other_refusals_have_their_codes(client, manager):
    key = key_for(manager)
    bad_country = _put(client, key, {"country": "XX"})
    assert bad_country.status_code == 422
    assert bad_country.json()["error"]["code"] == "invalid_billing_profile"
    assert bad_country.json()["error"]["field"] == "country"
    bad_email = _put(client, key, {"contacts": ["nope"]})
    assert (bad_email.status_code, bad_email.json()["error"]["field"]) == (422, "contacts")
    too_long = _put(client, key, {"legal_name": "x" * 201})
    assert too_long.status_code == 400
    assert too_long.json()["error"]["code"] == "invalid_request"


def test_idempotency_key_replays_the_answer(client, manager):
    key = key_for(manager)
    body = {"legal_name": "Once Ltd"}
    first = _put(client, key, body, **{"Idempotency-Key": "profile-1"})
    second = _put(client, key, body, **{"Idempotency-Key": "profile-1"})
    assert first.status_code == second.status_code == 200
    assert second.content == first.content and second["Idempotent-Replayed"] == "true"
    other = _put(client, key, {"legal_name": "Twice"}, **{"Idempotency-Key": "profile-1"})
    assert other.status_code == 422
    assert other.json()["error"]["code"] == "idempotency_key_mismatch"


def test_without_manage_billing_or_the_pay_scope_the_caller_is_refused(client, manager):
    bookkeeper = PortalUserFactory(customer=manager.customer, can_manage_billing=False)
    key = key_for(bookkeeper)
    for response in (_get(client, key), _put(client, key, {"legal_name": "X"})):
        assert response.status_code == 403
        assert response.json()["error"]["code"] == "permission_denied"
    read_only = key_for(manager, "read")
    assert _get(client, read_only).status_code == 200
    refused = _put(client, read_only, {"legal_name": "X"})
    assert (refused.status_code, refused.json()["error"]["code"]) == (403, "insufficient_scope")
    assert not BillingProfile.objects.exists()
