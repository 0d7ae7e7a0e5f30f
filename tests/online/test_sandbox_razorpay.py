"""The pretend Razorpay plays what Razorpay documents, each case behind its switch: auto-capture
off (a payment stays `authorized` until captured through POST /v1/payments/{id}/capture, for
exactly its amount), a payment failed and later authorised by the bank (the same payment id),
and the payer's `notes` option copied into the payment — not the order.

These tests look at the sandbox only: the webhooks it makes (their order, their payloads) and
its API's answers. Webhooks are switched to `none` unless a test says otherwise, so each is
stored, signed, without Paydesk acting on it. Every signature is checked here with plain `hmac`
— never with Paydesk's (or the sandbox's) signing code.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from pathlib import Path

import httpx
import pytest
from django.conf import settings
from django.test import Client

from paydesk.sandbox.models import SandboxObject, WebhookStatus
from tests.online.razorpay_support import (
    api_url,
    capture,
    late_authorise,
    order_payments,
    payment_entity,
    sandbox_checkout,
    sandbox_switch,
    start,
)
from tests.online.sandbox_support import sent_webhooks, webhook_json
from tests.signin import sandbox_staff

pytestmark = pytest.mark.django_db(transaction=True)

REFERENCE_EVENT = json.loads(
    (
        Path(__file__).parents[1] / "gateways/data/razorpay-webhook-payment-authorized.json"
    ).read_text()
)


@pytest.fixture
def payer(online_customer):
    return online_customer("razorpay", "INR", account="INR")


@pytest.fixture
def order(sandbox, payer):
    """A Razorpay order for ₹500.00 made by Paydesk's own client, webhooks stored only."""
    sandbox.switch(webhooks="none")
    payment = start(payer, amount="500.00").payment
    return payment


def _signed_by_razorpay(hook) -> bool:
    """X-Razorpay-Signature = hex HMAC-SHA256(webhook secret, raw body) — Razorpay's docs."""
    expected = hmac.new(
        settings.PAYDESK_RAZORPAY_WEBHOOK_SECRET.encode(), hook.body.encode(), hashlib.sha256
    ).hexdigest()
    return hmac.compare_digest(hook.headers["X-Razorpay-Signature"], expected)


def _checkout_signature_ok(result: dict[str, str]) -> bool:
    """razorpay_signature = hex HMAC-SHA256(key secret, "{order_id}|{payment_id}")."""
    message = f"{result['order-id']}|{result['payment-id']}".encode()
    expected = hmac.new(
        settings.PAYDESK_RAZORPAY_KEY_SECRET.encode(), message, hashlib.sha256
    ).hexdigest()
    return hmac.compare_digest(result["signature"], expected)


def _events(order_id: str) -> list[tuple[str, str, str]]:
    """(event, payment id, payment status) of every webhook about the order, oldest first."""
    hooks = sent_webhooks("razorpay", order_id)
    assert all(_signed_by_razorpay(hook) for hook in hooks)
    assert len({hook.headers["X-Razorpay-Event-Id"] for hook in hooks}) == len(hooks)
    return [
        (body["event"], entity["id"], entity["status"])
        for body in map(webhook_json, hooks)
        for entity in [body["payload"]["payment"]["entity"]]
    ]


def _payload(order_id: str, event: str) -> dict:
    hook = next(h for h in sent_webhooks("razorpay", order_id) if h.event_type == event)
    return webhook_json(hook)


# --- auto-capture off ------------------------------------------------------------------------


def test_with_auto_capture_off_a_paid_payment_stays_authorized(order):
    sandbox_switch("razorpay_manual_capture")
    result = sandbox_checkout(order.gateway_reference, reference=order.reference)
    # Checkout's handler still runs on authorisation, with a signature Razorpay documents.
    assert result["event"] == "payment.success" and _checkout_signature_ok(result)
    payment_id = result["payment-id"]
    assert _events(order.gateway_reference) == [("payment.authorized", payment_id, "authorized")]

    event = _payload(order.gateway_reference, "payment.authorized")
    assert set(REFERENCE_EVENT) <= set(event)  # the reference body's shape
    assert event["contains"] == ["payment"] and event["entity"] == "event"
    entity = event["payload"]["payment"]["entity"]
    reference_keys = set(REFERENCE_EVENT["payload"]["payment"]["entity"]) - {"service_tax"}
    assert reference_keys <= set(entity)  # service_tax is `tax` in today's API
    assert entity["captured"] is False and entity["fee"] is None and entity["tax"] is None
    assert (entity["amount"], entity["currency"]) == (50000, "INR")

    assert payment_entity(payment_id)["status"] == "authorized"
    order_row = SandboxObject.objects.get(kind="order", object_id=order.gateway_reference)
    assert order_row.data["status"] == "attempted" and order_row.data["amount_paid"] == 0


def test_capture_takes_exactly_the_authorized_amount_then_the_order_is_paid(order):
    sandbox_switch("razorpay_manual_capture")
    payment_id = sandbox_checkout(order.gateway_reference, reference=order.reference)["payment-id"]
    for amount in (49990, 50010):
        refused = capture(payment_id, amount)
        assert refused.status_code == 400
        error = refused.json()["error"]
        assert error["code"] == "BAD_REQUEST_ERROR"
        assert error["description"] == "Capture amount must be equal to the amount authorized"
        assert error["field"] == "amount"
        assert set(error) >= {"source", "step", "reason", "metadata"}
    assert payment_entity(payment_id)["status"] == "authorized"

    captured = capture(payment_id, 50000)
    assert captured.status_code == 200, captured.text
    entity = captured.json()
    assert (entity["id"], entity["status"], entity["captured"]) == (payment_id, "captured", True)
    assert (entity["fee"], entity["tax"]) == (1180, 180)  # 2 % + 18 % GST, in paise

    assert _events(order.gateway_reference) == [
        ("payment.authorized", payment_id, "authorized"),
        ("payment.captured", payment_id, "captured"),
        ("order.paid", payment_id, "captured"),
    ]
    paid = _payload(order.gateway_reference, "order.paid")["payload"]["order"]["entity"]
    assert (paid["status"], paid["amount_paid"], paid["amount_due"]) == ("paid", 50000, 0)
    assert payment_entity(payment_id)["status"] == "captured"
    assert [p["status"] for p in order_payments(order.gateway_reference)] == ["captured"]

    again = capture(payment_id, 50000)
    assert again.status_code == 400
    assert again.json()["error"]["description"] == "This payment has already been captured"
    assert len(sent_webhooks("razorpay", order.gateway_reference)) == 3  # nothing more sent


def test_capture_refuses_what_is_not_an_authorized_payment(order):
    failed = sandbox_checkout(order.gateway_reference, "fail", reference=order.reference)
    answer = capture(failed["payment-id"], 50000)
    assert answer.status_code == 400
    assert answer.json()["error"]["description"] == (
        "Only payments which have been authorized and not yet captured can be captured"
    )
    unknown = capture("pay_Unknown0000001", 50000)
    assert unknown.status_code == 400
    assert unknown.json()["error"]["description"] == "The id provided does not exist"
    not_integer = capture(failed["payment-id"], "500.00")  # type: ignore[arg-type]
    assert not_integer.status_code == 400
    assert not_integer.json()["error"]["description"] == "The amount must be an integer."


def test_capture_needs_the_merchants_key(order):
    sandbox_switch("razorpay_manual_capture")
    payment_id = sandbox_checkout(order.gateway_reference)["payment-id"]
    answer = httpx.post(
        api_url(f"/v1/payments/{payment_id}/capture"),
        json={"amount": 50000, "currency": "INR"},
        auth=("rzp_test_paydesksandbox", "wrong"),
        timeout=30,
    )
    assert answer.status_code == 401
    assert payment_entity(payment_id)["status"] == "authorized"


def test_with_auto_capture_on_a_payment_is_captured_at_once_as_before(order):
    result = sandbox_checkout(order.gateway_reference, reference=order.reference)
    payment_id = result["payment-id"]
    assert _checkout_signature_ok(result)
    assert _events(order.gateway_reference) == [
        ("payment.captured", payment_id, "captured"),
        ("order.paid", payment_id, "captured"),
    ]


# --- late authorisation ----------------------------------------------------------------------


def test_late_authorisation_is_offered_only_with_its_switch(order):
    url = f"/sandbox/razorpay/checkout/{order.gateway_reference}/"
    options = {"key_id": settings.PAYDESK_RAZORPAY_KEY_ID, "origin": "http://testserver"}
    assert "Fail, then authorise late" not in Client().get(url, options).content.decode()
    refused = Client().post(url, {**options, "action": "late"})
    assert 'id="razorpay-result"' not in refused.content.decode()  # the page, nothing paid
    assert not SandboxObject.objects.filter(kind="payment").exists()
    sandbox_switch("razorpay_late_authorisation")
    assert "Fail, then authorise late" in Client().get(url, options).content.decode()


def test_a_failed_payment_authorised_late_is_the_same_payment_then_captured(order):
    sandbox_switch("razorpay_late_authorisation")
    result = sandbox_checkout(order.gateway_reference, "late", reference=order.reference)
    # The checkout hands back the failure, exactly as for "Fail payment".
    assert result["event"] == "payment.failed" and "signature" not in result
    assert result["error-description"] == (
        "Your payment was declined by the bank (Razorpay sandbox)."
    )
    payment_id = result["payment-id"]
    assert _events(order.gateway_reference) == [("payment.failed", payment_id, "failed")]
    assert payment_entity(payment_id)["status"] == "failed"

    assert late_authorise() == [payment_id]
    assert late_authorise() == []  # once
    assert _events(order.gateway_reference) == [
        ("payment.failed", payment_id, "failed"),
        ("payment.authorized", payment_id, "authorized"),
        ("payment.captured", payment_id, "captured"),
        ("order.paid", payment_id, "captured"),
    ]
    authorized = _payload(order.gateway_reference, "payment.authorized")["payload"]
    assert authorized["payment"]["entity"]["late_authorized"] is True
    assert authorized["payment"]["entity"]["error_code"] is None
    entity = payment_entity(payment_id)
    assert (entity["status"], entity["captured"], entity["late_authorized"]) == (
        "captured",
        True,
        True,
    )
    assert [(p["id"], p["status"]) for p in order_payments(order.gateway_reference)] == [
        (payment_id, "captured")
    ]
    order_row = SandboxObject.objects.get(kind="order", object_id=order.gateway_reference)
    assert order_row.data["status"] == "paid"
    assert not any(key.startswith("_") for key in entity)  # the sandbox's own marks stay home


def test_late_authorisation_with_auto_capture_off_waits_for_the_capture(order):
    sandbox_switch("razorpay_late_authorisation")
    sandbox_switch("razorpay_manual_capture")
    payment_id = sandbox_checkout(order.gateway_reference, "late")["payment-id"]
    late_authorise(payment_id)
    assert _events(order.gateway_reference) == [
        ("payment.failed", payment_id, "failed"),
        ("payment.authorized", payment_id, "authorized"),
    ]
    assert capture(payment_id, 50000).status_code == 200
    assert [e for e, _, _ in _events(order.gateway_reference)][2:] == [
        "payment.captured",
        "order.paid",
    ]


def test_a_late_authorisation_after_another_payment_paid_the_order_is_refunded(order):
    sandbox_switch("razorpay_late_authorisation")
    late_id = sandbox_checkout(order.gateway_reference, "late")["payment-id"]
    paid_id = sandbox_checkout(order.gateway_reference, "pay")["payment-id"]
    late_authorise()
    refunded = payment_entity(late_id)
    assert (refunded["status"], refunded["amount_refunded"]) == ("refunded", 50000)
    assert payment_entity(paid_id)["status"] == "captured"
    assert [e for e, p, _ in _events(order.gateway_reference) if p == late_id] == ["payment.failed"]


def test_the_late_webhooks_follow_the_webhook_switch(sandbox, order):
    sandbox_switch("razorpay_late_authorisation")
    sandbox.switch(webhooks="late")
    payment_id = sandbox_checkout(order.gateway_reference, "late")["payment-id"]
    late_authorise(payment_id)
    hooks = sent_webhooks("razorpay", order.gateway_reference)
    assert [h.status for h in hooks] == [WebhookStatus.HELD] * 4
    assert sandbox.release("razorpay") == 4
    delivered = sent_webhooks("razorpay", order.gateway_reference)
    assert [h.attempts for h in delivered] == [1, 1, 1, 1]
    assert [h.event_type for h in sorted(delivered, key=lambda h: h.delivered_at)] == [
        "payment.failed",
        "payment.authorized",
        "payment.captured",
        "order.paid",
    ]


def test_the_control_page_button_late_authorises(order):
    sandbox_switch("razorpay_late_authorisation")
    payment_id = sandbox_checkout(order.gateway_reference, "late")["payment-id"]
    response = sandbox_staff().post("/sandbox/", {"action": "late_authorise"})
    assert response.status_code == 302
    assert payment_entity(payment_id)["status"] == "captured"


# --- the payer's notes -----------------------------------------------------------------------


def test_the_payments_notes_are_what_the_browser_passed_not_the_orders(payer, order):
    other = start(payer, amount="900.00").payment  # another payment of the same customer
    result = sandbox_checkout(
        order.gateway_reference, reference=order.reference, notes_reference=other.reference
    )
    payment_id = result["payment-id"]
    captured = _payload(order.gateway_reference, "payment.captured")["payload"]
    assert captured["payment"]["entity"]["notes"] == {"paydesk_reference": other.reference}
    paid = _payload(order.gateway_reference, "order.paid")["payload"]
    assert paid["payment"]["entity"]["notes"] == {"paydesk_reference": other.reference}
    # The order keeps what the server set when it made it.
    assert paid["order"]["entity"]["notes"] == {"paydesk_reference": order.reference}
    assert paid["order"]["entity"]["receipt"] == order.reference
    assert payment_entity(payment_id)["notes"] == {"paydesk_reference": other.reference}
    assert order_payments(order.gateway_reference)[0]["notes"] == {
        "paydesk_reference": other.reference
    }


def test_notes_of_any_shape_are_copied_and_none_means_none(order):
    payment_id = sandbox_checkout(
        order.gateway_reference, "fail", notes={"note": "from the browser"}
    )["payment-id"]
    assert payment_entity(payment_id)["notes"] == {"note": "from the browser"}
    failed = _payload(order.gateway_reference, "payment.failed")["payload"]
    assert failed["payment"]["entity"]["notes"] == {"note": "from the browser"}
    bare = sandbox_checkout(order.gateway_reference, "fail", notes={})["payment-id"]
    assert payment_entity(bare)["notes"] == {}


def test_with_its_switch_the_checkout_lets_the_payer_edit_the_notes(order):
    url = f"/sandbox/razorpay/checkout/{order.gateway_reference}/"
    options = {
        "key_id": settings.PAYDESK_RAZORPAY_KEY_ID,
        "origin": "http://testserver",
        "notes[paydesk_reference]": order.reference,
    }
    hidden = Client().get(url, options).content.decode()
    assert f'type="hidden" name="notes[paydesk_reference]" value="{order.reference}"' in hidden
    sandbox_switch("razorpay_payer_notes")
    shown = Client().get(url, options).content.decode()
    assert "data-notes" in shown
    assert f'name="notes[paydesk_reference]" value="{order.reference}"' in shown
    assert 'type="hidden" name="notes[' not in shown
