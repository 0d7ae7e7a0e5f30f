"""Errors as JSON with the right status; rate limits per key."""

from __future__ import annotations

import pytest

from tests.api.conftest import ApiClient, key_for

pytestmark = pytest.mark.django_db


def test_each_key_has_its_own_rate_limit_with_retry_after(portal_user, settings, any_cache):
    settings.PAYDESK_API_RATE = "3/m"
    first, second = ApiClient(key_for(portal_user)), ApiClient(key_for(portal_user))
    assert [first.get("/api/v1/balance").status_code for _ in range(3)] == [200] * 3
    limited = first.get("/api/v1/balance")
    assert limited.status_code == 429
    assert limited.json()["error"]["code"] == "rate_limited"
    assert 0 < int(limited["Retry-After"]) <= 60
    assert second.get("/api/v1/balance").status_code == 200  # another key, its own count
    assert first.get("/api/v1/balance").status_code == 429  # a refused request is not counted


def test_unknown_routes_and_methods_never_500(api):
    assert api.client.put("/api/v1/payments", headers=api.headers).status_code == 405
    assert api.get("/api/v1/payments/%00").status_code == 404
    assert api.get("/api/v1/payments", {"after": "x" * 1000}).status_code == 400
    assert api.get("/api/v1/payments", {"limit": "many"}).json()["error"]["field"] == "limit"


def test_text_with_a_nul_character_is_a_clear_400_never_a_500(db):
    from django.test import Client

    from paydesk.api.services import api_key_create
    from tests.factories import CustomerFactory, StaffFactory

    customer = CustomerFactory(currency="USD")
    _key, plain = api_key_create(
        user=StaffFactory(staff_role="finance"), name="nul", scopes=["read", "pay"]
    )
    response = Client().post(
        "/api/v1/staff/payments",
        {"customer_id": customer.pk, "total": "5.00", "description": "Top-up\x00"},
        content_type="application/json",
        headers={"Authorization": f"Bearer {plain}"},
    )
    assert response.status_code in (400, 422), response.content
    assert "NUL" in response.json()["error"]["message"]


def test_a_parameter_sent_twice_is_refused_naming_it_not_read_as_its_last_value(api, db):
    from tests.factories import StaffFactory

    assert api.get("/api/v1/payments?limit=5&limit=1").status_code == 400
    refused = api.get("/api/v1/payments?limit=5&limit=1").json()["error"]
    assert (refused["code"], refused["field"]) == ("invalid_request", "limit")
    assert api.get("/api/v1/payments?limit=5").status_code == 200
    staff = ApiClient(key_for(StaffFactory(staff_role="finance"), "read"))
    refused = staff.get("/api/v1/staff/customers?q=a&q=b").json()["error"]
    assert (refused["code"], refused["field"]) == ("invalid_request", "q")
