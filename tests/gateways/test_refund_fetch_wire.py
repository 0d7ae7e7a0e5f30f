"""The real clients' "retrieve a refund" on the wire, against each gateway's documentation:
a local HTTP server stands for the gateway's API, records the request exactly as sent, and
answers the documented example. (PayPal's and Paystack's are also validated against their
OpenAPI files: tests/online/test_paypal_contract.py, test_paystack_contract.py.)

- Stripe, "Retrieve a refund": `GET /v1/refunds/{id}`, `Authorization: Bearer <secret key>`.
- Razorpay, "Fetch Refund With ID": `GET /v1/refunds/{id}`, HTTP Basic `key_id:key_secret`.
- Stripe, "List all refunds": `GET /v1/refunds?payment_intent=…&limit=…[&starting_after=…]`,
  newest first, `has_more` — how a refund unanswered past its idempotency key is looked up.
"""

from __future__ import annotations

import base64
import json
import threading
from collections.abc import Iterator
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from paydesk.gateways.base import Outcome, RefundRequest
from paydesk.gateways.razorpay.gateway import RazorpayGateway
from paydesk.gateways.stripe.gateway import StripeCardGateway
from paydesk.money import Money

pytestmark = pytest.mark.django_db


class Api(ThreadingHTTPServer):
    """Answers `answers[path]` (JSON, 200) and keeps every request: (method, path, headers,
    body)."""

    def __init__(self, answers: dict[str, Any]) -> None:
        self.answers = answers
        self.seen: list[tuple[str, str, dict[str, str], bytes]] = []
        super().__init__(("127.0.0.1", 0), _Handler)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


class _Handler(BaseHTTPRequestHandler):
    server: Api

    def do_GET(self) -> None:  # noqa: N802 (http.server's name)
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        self.server.seen.append((self.command, self.path, dict(self.headers.items()), body))
        answer = self.server.answers.get(
            self.path, self.server.answers.get(self.path.split("?")[0])
        )
        payload = json.dumps(answer if answer is not None else {"error": "not found"}).encode()
        self.send_response(200 if answer is not None else 404)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def api() -> Iterator[Api]:
    server = Api({})
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def request(currency: str, amount: str, transaction_id: str) -> RefundRequest:
    return RefundRequest(
        refund_reference="PD-REFUND-1",
        payment_reference="PD-PAID-1",
        transaction_id=transaction_id,
        gateway_reference="",
        amount=Money(Decimal(amount), currency),
        reason="Asked",
        idempotency_key="refund-PD-REFUND-1",
    )


def test_stripe_retrieves_a_refund_as_documented(api, settings):
    settings.PAYDESK_STRIPE_API_BASE = api.url
    settings.PAYDESK_STRIPE_SECRET_KEY = "sk_test_wire"
    api.answers["/v1/refunds/re_3Wire"] = {
        "id": "re_3Wire",
        "object": "refund",
        "amount": 3000,
        "currency": "usd",
        "payment_intent": "pi_3Wire",
        "metadata": {"paydesk_refund": "PD-REFUND-1", "paydesk_reference": "PD-PAID-1"},
        "status": "succeeded",
    }
    event = StripeCardGateway().refund_fetch(
        request("USD", "30.00", "pi_3Wire"), refund_id="re_3Wire"
    )
    ((method, path, headers, body),) = api.seen
    assert (method, path, body) == ("GET", "/v1/refunds/re_3Wire", b"")
    assert headers["Authorization"] == "Bearer sk_test_wire"
    assert "Idempotency-Key" not in headers  # a read: nothing to make once
    assert (event.refund_id, event.outcome, event.amount) == (
        "re_3Wire",
        Outcome.COMPLETED,
        Money(Decimal("30.00"), "USD"),
    )
    assert event.event_id == "refund:re_3Wire:succeeded"  # as the refund answer names it


def test_razorpay_fetches_a_refund_as_documented(api, settings):
    settings.PAYDESK_RAZORPAY_API_BASE = api.url
    settings.PAYDESK_RAZORPAY_KEY_ID = "rzp_test_wire"
    settings.PAYDESK_RAZORPAY_KEY_SECRET = "wire_secret"
    api.answers["/v1/refunds/rfnd_Wire"] = {
        "id": "rfnd_Wire",
        "entity": "refund",
        "amount": 30000,
        "currency": "INR",
        "payment_id": "pay_Wire",
        "notes": {"paydesk_refund": "PD-REFUND-1"},
        "receipt": "PD-REFUND-1",
        "status": "processed",
    }
    event = RazorpayGateway().refund_fetch(
        request("INR", "300.00", "pay_Wire"), refund_id="rfnd_Wire"
    )
    ((method, path, headers, body),) = api.seen
    assert (method, path, body) == ("GET", "/v1/refunds/rfnd_Wire", b"")
    scheme, _, credentials = headers["Authorization"].partition(" ")
    assert scheme == "Basic"
    assert base64.b64decode(credentials).decode() == "rzp_test_wire:wire_secret"
    assert (event.refund_id, event.outcome, event.transaction_id) == (
        "rfnd_Wire",
        Outcome.COMPLETED,
        "pay_Wire",
    )


def _refund(refund_id: str, reference: str = "") -> dict[str, Any]:
    return {
        "id": refund_id,
        "object": "refund",
        "amount": 3000,
        "currency": "usd",
        "payment_intent": "pi_3Wire",
        "metadata": {"paydesk_refund": reference} if reference else {},
        "status": "succeeded",
    }


def test_stripe_finds_our_refund_on_a_later_page_of_the_intents_refunds(api, settings):
    settings.PAYDESK_STRIPE_API_BASE = api.url
    settings.PAYDESK_STRIPE_SECRET_KEY = "sk_test_wire"
    first = "/v1/refunds?payment_intent=pi_3Wire&limit=100"
    api.answers[first] = {
        "object": "list",
        "data": [_refund("re_3Dash"), _refund("re_2Other", "PD-REFUND-0")],
        "has_more": True,
    }
    api.answers[f"{first}&starting_after=re_2Other"] = {
        "object": "list",
        "data": [_refund("re_1Ours", "PD-REFUND-1")],
        "has_more": False,
    }
    event = StripeCardGateway().refund_find(request("USD", "30.00", "pi_3Wire"))
    assert [(m, p) for m, p, _, _ in api.seen] == [
        ("GET", first),
        ("GET", f"{first}&starting_after=re_2Other"),
    ]
    assert all(h["Authorization"] == "Bearer sk_test_wire" for _, _, h, _ in api.seen)
    assert event is not None
    assert (event.refund_id, event.refund_reference, event.outcome) == (
        "re_1Ours",
        "PD-REFUND-1",
        Outcome.COMPLETED,
    )


def test_stripe_says_none_only_when_every_page_was_read(api, settings):
    from paydesk.errors import GatewayError

    settings.PAYDESK_STRIPE_API_BASE = api.url
    settings.PAYDESK_STRIPE_SECRET_KEY = "sk_test_wire"
    first = "/v1/refunds?payment_intent=pi_3Wire&limit=100"
    api.answers[first] = {"object": "list", "data": [_refund("re_3Dash")], "has_more": False}
    assert StripeCardGateway().refund_find(request("USD", "30.00", "pi_3Wire")) is None
    api.answers[first] = {"object": "list", "data": [_refund("re_3Dash")], "has_more": True}
    api.answers[f"{first}&starting_after=re_3Dash"] = api.answers[first]  # never ends
    with pytest.raises(GatewayError, match="Paydesk did not read them all"):
        StripeCardGateway().refund_find(request("USD", "30.00", "pi_3Wire"))
