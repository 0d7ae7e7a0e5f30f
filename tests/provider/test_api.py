"""The staff API and gateway settings: an Administrator reads where each credential comes from
(never a value); Finance and Support get 403 with a JSON error; no API answer or schema holds a
stored secret."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from paydesk.provider.credentials import credentials_save
from tests.api.conftest import ApiClient, key_for

pytestmark = pytest.mark.django_db

SECRET = "sk_live_PaydeskPlantedApiSecret7777"
URL = "/api/v1/staff/gateway-settings"


@pytest.fixture
def stored(admin_user):
    credentials_save(
        actor=admin_user,
        gateway="paystack",
        mode="live",
        values={"PAYDESK_PAYSTACK_SECRET_KEY": SECRET},
    )


def test_an_administrator_reads_sources_and_endings_only(stored, admin_user):
    answer = ApiClient(key_for(admin_user, "read")).get(URL)
    assert answer.status_code == 200
    paystack = next(g for g in answer.json() if g["gateway"] == "paystack")
    assert paystack["mode"] == "test" and paystack["webhook_path"] == "/webhooks/paystack/"
    live = next(
        c
        for c in paystack["credentials"]
        if c["mode"] == "live" and c["setting"] == "PAYDESK_PAYSTACK_SECRET_KEY"
    )
    assert live == {
        "setting": "PAYDESK_PAYSTACK_SECRET_KEY",
        "mode": "live",
        "source": "back office",
        "ending": "7777",
    }
    assert SECRET not in answer.content.decode()


@pytest.mark.parametrize("who", ["finance_user", "support_user"])
def test_finance_and_support_get_403_and_no_leak(stored, who, request):
    user = request.getfixturevalue(who)
    answer = ApiClient(key_for(user, "read", "pay")).get(URL)
    assert answer.status_code == 403
    assert answer.json()["error"]["code"] == "permission_denied"
    for path in ("/api/v1/staff/payments", "/api/v1/staff/customers", "/api/v1/openapi.json"):
        body = ApiClient(key_for(user, "read")).get(path).content.decode()
        assert SECRET not in body and SECRET[-12:] not in body
    assert SECRET not in json.dumps(Client().get("/api/v1/openapi.json").json())
