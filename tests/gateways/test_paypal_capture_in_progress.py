"""PayPal's `PREVIOUS_REQUEST_IN_PROGRESS` (HTTP 422 on `POST /v2/checkout/orders/{id}/capture`:
a capture with the same PayPal-Request-Id is still running) leaves the payment pending, asked
again later: never refused, cancelled or abandoned, never shown to the payer as a decline.

A local server answers as PayPal does (its errors reference: `name` UNPROCESSABLE_ENTITY,
`details[0].issue` PREVIOUS_REQUEST_IN_PROGRESS)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.utils import timezone

from paydesk.checkout.reconcile import gateway_payments_reconcile
from paydesk.checkout.services import checkout_return
from paydesk.ledger.models import Payment, PaymentStatus
from tests.gateways.local_gateway import pending_gateway_payment, served

pytestmark = pytest.mark.django_db(transaction=True)
ORDER = "5O190127TN364715T"
IN_PROGRESS = {
    "name": "UNPROCESSABLE_ENTITY",
    "message": (
        "The requested action could not be performed, semantically incorrect, or failed "
        "business validation."
    ),
    "details": [
        {
            "issue": "PREVIOUS_REQUEST_IN_PROGRESS",
            "description": (
                "A previous request on this resource is currently in progress. Please wait for "
                "sometime and try again. It is best to space out the initial and the subsequent "
                "request(s) to avoid receiving this error."
            ),
        }
    ],
    "debug_id": "90957fca61718",
}


class _PayPal(BaseHTTPRequestHandler):
    captures: list[str] = []

    def _send(self, status: int, body: dict) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_POST(self) -> None:  # noqa: N802 (http.server's name)
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        if self.path == "/v1/oauth2/token":
            self._send(
                200, {"access_token": "A21-test", "token_type": "Bearer", "expires_in": 32400}
            )
        elif self.path == f"/v2/checkout/orders/{ORDER}/capture":
            self.captures.append(self.headers.get("PayPal-Request-Id", ""))
            self._send(422, IN_PROGRESS)
        else:
            self._send(404, {"name": "RESOURCE_NOT_FOUND"})

    def do_GET(self) -> None:  # noqa: N802
        reference = self.server.reference  # type: ignore[attr-defined]
        if self.path == f"/v2/checkout/orders/{ORDER}":
            self._send(
                200,
                {
                    "id": ORDER,
                    "status": "APPROVED",
                    "intent": "CAPTURE",
                    "purchase_units": [
                        {
                            "reference_id": reference,
                            "custom_id": reference,
                            "amount": {"currency_code": "USD", "value": "50.00"},
                        }
                    ],
                },
            )
        else:
            self._send(404, {"name": "RESOURCE_NOT_FOUND"})

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def paypal_capturing(settings) -> Iterator[tuple[Payment, list[str]]]:
    payment = pending_gateway_payment("paypal", ORDER)
    _PayPal.captures = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _PayPal)
    server.reference = payment.reference  # type: ignore[attr-defined]
    settings.PAYDESK_GATEWAYS = {
        **settings.PAYDESK_GATEWAYS,
        "paypal": "paydesk.gateways.paypal.gateway.PayPalGateway",
    }
    settings.PAYDESK_PAYPAL_CLIENT_ID = "client"
    settings.PAYDESK_PAYPAL_CLIENT_SECRET = "secret"
    with served(server) as url:
        settings.PAYDESK_PAYPAL_API_BASE = url
        yield payment, _PayPal.captures


def test_a_capture_still_in_progress_leaves_the_return_pending(paypal_capturing):
    payment, captures = paypal_capturing
    payment = checkout_return(payment=payment, params={"token": ORDER})
    assert captures == [f"capture:{ORDER}"]
    assert payment.status == PaymentStatus.PENDING
    assert payment.pending_reason.startswith(
        f"PayPal is still capturing order {ORDER} (an earlier capture request is in progress)."
    )
    assert "refused" not in payment.pending_reason and "declined" not in payment.pending_reason


def test_reconciliation_never_abandons_a_capture_in_progress(paypal_capturing, settings):
    payment, captures = paypal_capturing
    later = timezone.now() + timedelta(minutes=settings.PAYDESK_ABANDON_AFTER_MINUTES + 1)
    assert gateway_payments_reconcile(now=later) == 0
    payment.refresh_from_db()
    assert captures == [f"capture:{ORDER}"]  # asked again with the same request id next run
    assert payment.status == PaymentStatus.PENDING
    assert "still capturing" in payment.pending_reason and "ask again" in payment.pending_reason
