"""The API's automatic top-up and low-balance alerts: review the consent text, turn it on with
that text (recorded: who, when), off; the alert thresholds; Idempotency-Key honoured; errors as
JSON with a code and field; another customer's method → 404; no permission → 403; a read-only
key may read, not change."""

from __future__ import annotations

import json

import pytest

from paydesk.audit.models import AuditEntry
from paydesk.autotopup.models import TopupSettings
from tests.api.conftest import ApiClient, key_for
from tests.factories import PortalUserFactory
from tests.online.stripe_support import save_card

pytestmark = pytest.mark.django_db(transaction=True)
TERMS = {"threshold": "20.00", "amount": "50.00", "monthly_cap": "200.00", "cooldown_minutes": 60}


def put(api: ApiClient, path: str, body: dict, key: str):
    return api.client.put(
        path,
        json.dumps(body),
        content_type="application/json",
        headers={**api.headers, "Idempotency-Key": key},
    )


def test_review_turn_on_and_off(sandbox, online_customer):
    user = online_customer("card")
    pm = save_card(sandbox.url, user)
    api = ApiClient(key_for(user, "read", "pay"))
    terms = {**TERMS, "payment_method": pm}
    reviewed = api.post("/api/v1/autotopup/review", terms, **{"Idempotency-Key": "review-00001"})
    assert reviewed.status_code == 200, reviewed.content
    text = reviewed.json()["consent_text"]
    assert "charge Card •••• 4242 $50.00 USD whenever the balance" in text

    refused = put(
        api, "/api/v1/autotopup", {**terms, "consent": False, "consent_text": text}, "enable-000001"
    )
    assert refused.status_code == 422
    assert refused.json()["error"] == {
        "code": "invalid_autotopup",
        "field": "consent",
        "message": "Tick the box to authorise the automatic charges.",
    }
    other_text = put(
        api,
        "/api/v1/autotopup",
        {**terms, "amount": "60.00", "consent": True, "consent_text": text},
        "enable-000002",
    )
    assert other_text.status_code == 422 and other_text.json()["error"]["field"] == "consent"
    assert not TopupSettings.objects.filter(customer=user.customer, enabled=True).exists()

    on = put(
        api, "/api/v1/autotopup", {**terms, "consent": True, "consent_text": text}, "enable-000003"
    )
    assert on.status_code == 200, on.content
    body = on.json()
    assert (body["enabled"], body["amount"], body["consent_text"], body["consented_by"]) == (
        True,
        "50.00",
        text,
        user.email,
    )
    again = put(
        api, "/api/v1/autotopup", {**terms, "consent": True, "consent_text": text}, "enable-000003"
    )
    assert again["Idempotent-Replayed"] == "true"

    off = api.post("/api/v1/autotopup/off", None, **{"Idempotency-Key": "off-000000001"})
    assert off.status_code == 200 and off.json()["enabled"] is False
    assert list(
        AuditEntry.objects.filter(customer_id=user.customer.pk, action__startswith="autotopup.")
        .values_list("action", flat=True)
        .order_by("pk")
    ) == ["autotopup.switch_on", "autotopup.switch_off"]


def test_bad_amounts_others_methods_permissions_and_scopes(sandbox, online_customer):
    user = online_customer("card")
    save_card(sandbox.url, user)
    stranger = online_customer("card")
    theirs = save_card(sandbox.url, stranger)
    api = ApiClient(key_for(user, "read", "pay"))
    bad = api.post(
        "/api/v1/autotopup/review", {**TERMS, "amount": "50.001", "payment_method": theirs}
    )
    assert bad.status_code == 422 and bad.json()["error"]["field"] == "amount"
    capped = api.post(
        "/api/v1/autotopup/review", {**TERMS, "monthly_cap": "10", "payment_method": theirs}
    )
    assert capped.json()["error"]["field"] == "monthly_cap"
    not_yours = api.post("/api/v1/autotopup/review", {**TERMS, "payment_method": theirs})
    assert not_yours.status_code == 404 and not_yours.json()["error"]["code"] == "not_found"

    read_only = ApiClient(key_for(user, "read"))
    assert read_only.get("/api/v1/autotopup").status_code == 200
    assert read_only.post("/api/v1/autotopup/off").json()["error"]["code"] == "insufficient_scope"
    viewer = PortalUserFactory(customer=user.customer, can_manage_billing=False)
    assert ApiClient(key_for(viewer)).get("/api/v1/autotopup").status_code == 403


def test_managing_billing_without_making_payments_cannot_turn_it_on(sandbox, online_customer):
    """Reviewing or giving the consent to automatic charges needs *make payments* too: 403
    `permission_denied` before the terms are read; switching off needs *manage billing* only."""
    user = online_customer("card")
    pm = save_card(sandbox.url, user)
    payer = ApiClient(key_for(user, "read", "pay"))
    terms = {**TERMS, "payment_method": pm}
    text = payer.post("/api/v1/autotopup/review", terms).json()["consent_text"]
    manager = PortalUserFactory(
        customer=user.customer, can_manage_billing=True, can_make_payments=False
    )
    api = ApiClient(key_for(manager, "read", "pay"))
    refusals = [
        api.post("/api/v1/autotopup/review", terms),
        put(api, "/api/v1/autotopup", {**terms, "consent": True, "consent_text": text}, "on-01"),
        api.post("/api/v1/autotopup/review", {**terms, "amount": "bad"}),
    ]
    for refused in refusals:
        assert refused.status_code == 403, refused.content
        error = refused.json()["error"]
        assert error["code"] == "permission_denied"
        assert "your user may manage billing but not make payments" in error["message"]
    assert not TopupSettings.objects.filter(customer=user.customer).exists()

    on = put(payer, "/api/v1/autotopup", {**terms, "consent": True, "consent_text": text}, "on-2")
    assert on.status_code == 200, on.content
    off = api.post("/api/v1/autotopup/off", None, **{"Idempotency-Key": "off-000000002"})
    assert off.status_code == 200 and off.json()["enabled"] is False
    assert off.json()["consented_by"] == user.email  # the consent on record is the payer's


def test_balance_alerts(sandbox, online_customer):
    user = online_customer("card")
    api = ApiClient(key_for(user, "read", "pay"))
    saved = put(
        api,
        "/api/v1/balance-alerts",
        {"thresholds": ["20", "5.50"], "margin": "5"},
        "alerts-000001",
    )
    assert saved.status_code == 200, saved.content
    assert saved.json()["data"] == [
        {"threshold": "20.00", "margin": "5.00", "armed": False},  # a balance of 0 is under
        {"threshold": "5.50", "margin": "5.00", "armed": False},
    ]
    bad = put(api, "/api/v1/balance-alerts", {"thresholds": ["x"], "margin": "5"}, "alerts-000002")
    assert bad.status_code == 422 and bad.json()["error"]["field"] == "thresholds"
    assert len(api.get("/api/v1/balance-alerts").json()["data"]) == 2
