"""What the Paystack tests share: start a checkout as the customer's Pay button does, press a
button on the sandbox's hosted checkout over HTTP (as a browser would, CSRF token and all), and
come back to Paydesk's return URL as the signed-in customer.

Nothing of Paydesk's is replaced: the client talks HTTP to the sandbox on the live server.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass, field
from decimal import Decimal
from urllib.parse import parse_qsl, urlsplit

import httpx
import pytest
from django.conf import settings
from django.test import Client

from paydesk.checkout.models import PaymentLogEntry
from paydesk.checkout.services import Checkout, checkout_start
from paydesk.ledger.models import Payment
from paydesk.sandbox.models import SandboxObject
from tests.online.sandbox_support import sandbox_switch  # noqa: F401 (a driver of these tests)

_CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


def start(user, *, amount: str = "5000", currency: str = "NGN", key: str = "") -> Checkout:
    """Press Pay: lock the quote, create the pending payment, initialize at Paystack."""
    return checkout_start(
        customer=user.customer,
        user=user,
        method="paystack",
        amount=amount,
        currency=currency,
        idempotency_key=key or secrets.token_hex(12),
    )


class Tab:
    """The hosted checkout open in a browser tab: its CSRF-protected form, ready to submit."""

    def __init__(self, url: str) -> None:
        self.url = url
        page = httpx.get(url, timeout=30)
        assert page.status_code == 200, page.text[:300]
        found = _CSRF.search(page.text)
        assert found, "the hosted checkout shows its form"
        self.token = found.group(1)
        # The CSRF cookie is Secure (test settings) and the live server plain HTTP: Chromium
        # sends it to localhost anyway, httpx's cookie jar does not, so it is sent by hand.
        self.cookie = page.cookies.get("csrftoken", "")

    def press(self, action: str) -> httpx.Response:
        """Press pay, decline or cancel: the answer is the redirect back (not followed)."""
        return httpx.post(
            self.url,
            data={"csrfmiddlewaretoken": self.token, "action": action},
            headers={"Referer": self.url, "Cookie": f"csrftoken={self.cookie}"},
            timeout=30,
        )


def press(redirect_url: str, action: str) -> httpx.Response:
    """Open the hosted checkout page and press one of its buttons (pay, decline, cancel);
    the answer is the redirect Paystack sends the customer back with (not followed)."""
    return Tab(redirect_url).press(action)


def verify(reference: str) -> dict:
    """GET /transaction/verify/{reference} with the secret key, as Paydesk verifies; `data`.
    With the paystack_customer_fees switch a paid one shows amount = requested_amount + fees."""
    answer = httpx.get(
        f"{settings.PAYDESK_PUBLIC_URL.rstrip('/')}{SANDBOX_PREFIX}/transaction/verify/{reference}",
        headers={"Authorization": f"Bearer {settings.PAYDESK_PAYSTACK_SECRET_KEY}"},
        timeout=30,
    )
    assert answer.status_code == 200, answer.text[:300]
    return answer.json()["data"]


def come_back(user, location: str):
    """Follow Paystack's redirect to /pay/return/<ref>/ as the signed-in customer; the status
    page's response."""
    parts = urlsplit(location)
    client = Client()
    client.force_login(user)
    back = client.get(parts.path, dict(parse_qsl(parts.query)))
    assert back.status_code == 302, back.status_code
    return client.get(back["Location"])


def transaction_of(payment: Payment) -> SandboxObject:
    """The sandbox's record of the Paystack transaction (its reference is the payment's)."""
    return SandboxObject.objects.get(
        gateway="paystack", kind="transaction", object_id=payment.reference
    )


def balance(user) -> Decimal:
    user.customer.refresh_from_db()
    return user.customer.balance


def received(payment: Payment) -> list[PaymentLogEntry]:
    """The payment log's entries of events received about `payment` (webhooks, returns,
    reconciliation), oldest first."""
    return list(
        PaymentLogEntry.objects.filter(payment=payment, direction="received").order_by("id")
    )


@dataclass
class Wire:
    """Every request that reached the sandbox's Paystack API and its answer, as sent on the
    wire (recorded by wrapping httpx's Client.send: Paydesk's code is left as it is)."""

    exchanges: list[tuple[httpx.Request, httpx.Response]] = field(default_factory=list)

    def api(self) -> list[tuple[httpx.Request, httpx.Response]]:
        return [
            (q, r)
            for q, r in self.exchanges
            if q.url.path.startswith(f"{SANDBOX_PREFIX}/transaction/")
        ]


SANDBOX_PREFIX = "/sandbox/paystack"


@pytest.fixture(name="wire")
def wire_fixture(monkeypatch) -> Wire:
    """Record the Paystack API traffic of one test (import `wire_fixture` to use `wire`)."""
    recorded = Wire()
    send = httpx.Client.send

    def recording_send(self, request, *args, **kwargs):
        response = send(self, request, *args, **kwargs)
        if request.url.path.startswith(SANDBOX_PREFIX):
            response.read()
            recorded.exchanges.append((request, response))
        return response

    monkeypatch.setattr(httpx.Client, "send", recording_send)
    return recorded
