"""Steps of a PayPal payment through the sandbox, as the customer takes them: Make Payment's
service starts the checkout (an order at the pretend PayPal), the buyer presses a button on
PayPal's approval page (a plain form POST), and comes back to /pay/return/<ref>/ — each a real
HTTP exchange between Paydesk and the sandbox over the live server."""

from __future__ import annotations

import itertools
from datetime import timedelta
from decimal import Decimal

import httpx
from django.test import Client
from django.utils import timezone

from paydesk.checkout.reconcile import gateway_payments_reconcile
from paydesk.checkout.services import Checkout, checkout_start
from paydesk.gateways.paypal import client as paypal_client
from paydesk.ledger.models import Payment
from paydesk.sandbox.core import object_get
from paydesk.sandbox.models import SandboxObject, SandboxWebhook
from tests.online.sandbox_support import (  # noqa: F401 (drivers of these tests)
    cancel_in_paydesk,
    sandbox_switch,
)

_keys = itertools.count(1)


def paypal_tokens_forget() -> None:
    """Drop every access token PayPal's client cached (each test asks for its own)."""
    with paypal_client._tokens_lock:
        paypal_client._tokens.clear()


def start(user, amount: str = "25.00", currency: str = "USD", *, key: str = "") -> Checkout:
    return checkout_start(
        customer=user.customer,
        user=user,
        method="paypal",
        amount=amount,
        currency=currency,
        idempotency_key=key or f"paypal-form-token-{next(_keys):06d}",
    )


def path_of(url: str) -> str:
    parsed = httpx.URL(url)
    return parsed.raw_path.decode()


def press(checkout: Checkout, action: str = "approve") -> str:
    """Press a button on PayPal's approval page; where PayPal sends the buyer back to."""
    response = Client().post(path_of(checkout.redirect_url), {"action": action})
    assert response.status_code == 302, response.content[:300]
    return response["Location"]


def come_back(user, location: str) -> Payment:
    """The buyer's browser follows PayPal's redirect to our return URL; the payment after it."""
    client = Client()
    client.force_login(user)
    response = client.get(path_of(location))
    assert response.status_code == 302
    reference = path_of(location).split("/")[3]
    # `?left=1` after the gateway's Cancel: the page then offers its Cancel button.
    assert response["Location"] in (f"/pay/status/{reference}/", f"/pay/status/{reference}/?left=1")
    return Payment.objects.get(reference=reference)


def order_of(payment: Payment) -> SandboxObject:
    payment.refresh_from_db()
    order = object_get("paypal", "order", payment.gateway_reference)
    assert order is not None
    return order


def approve_and_decline(checkout: Checkout) -> str:
    """The buyer approves, and PayPal then declines the capture (the capture's status is
    DECLINED; its webhook PAYMENT.CAPTURE.DECLINED with the paypal_declined_event switch, else
    the sandbox's old PAYMENT.CAPTURE.DENIED). Where PayPal sends the buyer back to."""
    return press(checkout, "approve_decline")


def capture_events(payment: Payment) -> list[str]:
    """The PAYMENT.CAPTURE.* webhooks the sandbox made about the payment's order, oldest first."""
    payment.refresh_from_db()
    return list(
        SandboxWebhook.objects.filter(
            gateway="paypal",
            about=payment.gateway_reference,
            event_type__startswith="PAYMENT.CAPTURE.",
        )
        .order_by("id")
        .values_list("event_type", flat=True)
    )


def reconcile(minutes: int = 20) -> int:
    return gateway_payments_reconcile(now=timezone.now() + timedelta(minutes=minutes))


def balance(user) -> Decimal:
    user.customer.refresh_from_db()
    return user.customer.balance


def completed(user) -> list[Payment]:
    return list(Payment.objects.filter(customer=user.customer, status="completed"))
