"""Helpers for the Razorpay tests: start a checkout through the real service, pay (or fail) on
the sandbox's checkout page the way its frame does, and come back to /pay/return/ with what
Razorpay Checkout hands our page."""

from __future__ import annotations

import html
import re
import secrets
from typing import Any

from django.conf import settings
from django.test import Client

from paydesk.checkout.services import Checkout, checkout_start
from paydesk.gateways.razorpay.webhooks import razorpay_payment_signature
from paydesk.ledger.models import Payment


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
    order_id: str, action: str = "pay", *, reference: str = "", email: str = "a@example.com"
) -> dict[str, str]:
    """Open the sandbox's checkout for the order (as checkout.js frames it) and press
    "Pay (success)" (`pay`) or "Fail payment" (`fail`); what the frame hands checkout.js."""
    browser = Client()
    url = f"/sandbox/razorpay/checkout/{order_id}/"
    options = {
        "key_id": settings.PAYDESK_RAZORPAY_KEY_ID,
        "name": "Paydesk Telecom",
        "description": "Top-up",
        "email": email,
        "origin": "http://testserver",
        "notes[paydesk_reference]": reference,
    }
    page = browser.get(url, options)
    assert page.status_code == 200, page.content[:300]
    assert "Pay (success)" in page.content.decode()
    result = browser.post(url, {**options, "action": action})
    assert result.status_code == 200
    return _attributes(result.content.decode(), "razorpay-result")


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
