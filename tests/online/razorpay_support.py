"""Helpers for the Razorpay tests: start a checkout through the real service, pay (or fail, or
fail-then-authorise-late) on the sandbox's checkout page the way its frame does, come back to
/pay/return/ with what Razorpay Checkout hands our page, and act as Razorpay's side later: the
bank's late authorisation, a capture through Razorpay's API, reading its payments."""

from __future__ import annotations

import html
import re
import secrets
from typing import Any

import httpx
from django.conf import settings
from django.test import Client

from paydesk.checkout.services import Checkout, checkout_start
from paydesk.ledger.models import Payment
from paydesk.sandbox.razorpay.payments import late_authorise as _late_authorise
from tests.gateways.signing import razorpay_payment_signature
from tests.online.sandbox_support import sandbox_switch  # noqa: F401 (a driver of these tests)

BUTTONS = {"pay": "Pay (success)", "fail": "Fail payment", "late": "Fail, then authorise late"}


def start(user: Any, amount: str = "500.00", currency: str = "INR", key: str = "") -> Checkout:
    """Press Pay on Make Payment: lock the quote, create the payment, create the order."""
    return checkout_start(
        customer=user.customer,
        user=user,
        method="razorpay",
        amount=amount,
        currency=currency,
        idempotency_key=key or secrets.token_hex(12),
    )


def _attributes(body: str, element_id: str) -> dict[str, str]:
    match = re.search(rf'<[a-z]+[^>]*id="{element_id}"[^>]*>', body, re.S)
    assert match, f"no #{element_id} in the page"
    return {
        name: html.unescape(value)
        for name, value in re.findall(r'data-([a-z-]+)="([^"]*)"', match.group(0))
    }


def sandbox_checkout(
    order_id: str,
    action: str = "pay",
    *,
    reference: str = "",
    email: str = "a@example.com",
    notes_reference: str | None = None,
    notes: dict[str, str] | None = None,
) -> dict[str, str]:
    """Open the sandbox's checkout for the order (as checkout.js frames it, with the options a
    browser passes) and press "Pay (success)" (`pay`), "Fail payment" (`fail`) or "Fail, then
    authorise late" (`late`, offered only with the razorpay_late_authorisation switch); what
    the frame hands checkout.js (data-event, payment-id, order-id, signature or error-…).

    The browser's `notes` option becomes the payment's notes at Razorpay: by default
    {"paydesk_reference": reference} as Paydesk's page passes it; `notes_reference` puts
    another value there (a payer who edited the option, e.g. to another payment's reference);
    `notes` replaces the whole option."""
    browser = Client()
    url = f"/sandbox/razorpay/checkout/{order_id}/"
    chosen = dict(notes) if notes is not None else {"paydesk_reference": reference}
    if notes_reference is not None:
        chosen["paydesk_reference"] = notes_reference
    options = {
        "key_id": settings.PAYDESK_RAZORPAY_KEY_ID,
        "name": "Paydesk Telecom",
        "description": "Top-up",
        "email": email,
        "origin": "http://testserver",
        **{f"notes[{key}]": value for key, value in chosen.items()},
    }
    page = browser.get(url, options)
    assert page.status_code == 200, page.content[:300]
    assert BUTTONS[action] in page.content.decode(), f"the checkout offers no {action!r}"
    result = browser.post(url, {**options, "action": action})
    assert result.status_code == 200
    return _attributes(result.content.decode(), "razorpay-result")


def late_authorise(payment_id: str = "") -> list[str]:
    """The bank answers late: every payment failed with "Fail, then authorise late" (or only
    `payment_id`) becomes authorized — and captured, unless auto-capture is off — sending
    payment.authorized (then payment.captured, order.paid) as the webhook switch says. Same as
    "Late-authorise failed payments" on /sandbox/. The payment ids moved."""
    return _late_authorise(payment_id)


def _api_auth() -> tuple[str, str]:
    return settings.PAYDESK_RAZORPAY_KEY_ID, settings.PAYDESK_RAZORPAY_KEY_SECRET


def api_url(path: str) -> str:
    """The sandbox's Razorpay API URL for `path` (e.g. "/v1/payments/pay_…")."""
    return f"{settings.PAYDESK_PUBLIC_URL.rstrip('/')}/sandbox/razorpay{path}"


def capture(payment_id: str, amount: int, currency: str = "INR") -> httpx.Response:
    """POST /v1/payments/{id}/capture {"amount": <subunits>, "currency": …} with the merchant's
    key, as Paydesk (or a merchant's dashboard) captures an authorized payment."""
    return httpx.post(
        api_url(f"/v1/payments/{payment_id}/capture"),
        json={"amount": amount, "currency": currency},
        auth=_api_auth(),
        timeout=30,
    )


def api_get(path: str) -> dict[str, Any]:
    """GET a sandbox Razorpay API path with the merchant's key; the JSON answer (must be 200)."""
    answer = httpx.get(api_url(path), auth=_api_auth(), timeout=30)
    assert answer.status_code == 200, answer.text[:300]
    return answer.json()


def payment_entity(payment_id: str) -> dict[str, Any]:
    """GET /v1/payments/{id}: the payment as Razorpay answers it now."""
    return api_get(f"/v1/payments/{payment_id}")


def order_payments(order_id: str) -> list[dict[str, Any]]:
    """GET /v1/orders/{id}/payments: the order's payments, newest first."""
    return api_get(f"/v1/orders/{order_id}/payments")["items"]


def come_back(user: Any, payment: Payment, fields: dict[str, str]) -> Payment:
    """The customer's browser POSTs Checkout's answer to /pay/return/<reference>/."""
    browser = Client()
    browser.force_login(user)
    response = browser.post(f"/pay/return/{payment.reference}/", fields)
    assert response.status_code == 302
    assert response["Location"] == f"/pay/status/{payment.reference}/"
    payment.refresh_from_db()
    return payment


def success_fields(result: dict[str, str]) -> dict[str, str]:
    assert result["event"] == "payment.success", result
    return {
        "razorpay_payment_id": result["payment-id"],
        "razorpay_order_id": result["order-id"],
        "razorpay_signature": result["signature"],
    }


def failure_fields(result: dict[str, str]) -> dict[str, str]:
    assert result["event"] == "payment.failed", result
    return {
        "razorpay_payment_id": result["payment-id"],
        "razorpay_order_id": result["order-id"],
        "error_code": result["error-code"],
        "error_description": result["error-description"],
    }


def forged_signature(order_id: str, payment_id: str) -> str:
    return razorpay_payment_signature(
        order_id=order_id, payment_id=payment_id, key_secret="not-the-key-secret"
    )
