"""Razorpay's REST API, the few documented calls Paydesk makes (httpx through GatewayHttp).

Basic auth `key_id:key_secret`; JSON bodies; amounts are integers of the currency's subunits
(paise for INR; KWD, BHD and OMR take three decimals whose last digit must be 0).

Idempotency: Razorpay has no idempotency header for orders, and its docs disagree on whether
a second order with the same `receipt` is refused ("Create an Order": the receipt "has to be
unique"; its "Fetch All Orders" example lists two orders with one receipt). Either way Paydesk
makes the receipt its idempotency key — the payment's reference, unique in
Paydesk — and before creating an order it asks `GET /v1/orders?receipt=<reference>` (a
documented filter): an order already made for that payment (by a first attempt whose answer
timed out) is used again instead of creating a second one. The order id is stored on the
payment as soon as it is known.

Errors: a 4xx answer carries `{"error": {"code", "description", "source", "step", "reason",
"metadata", "field"}}` and becomes GatewayError with Razorpay's description (429, too many
requests, becomes GatewayUnavailable: try later); no answer, 5xx or a body that is not JSON is
GatewayUnavailable (GatewayHttp decides that once for every gateway).

Refunds (`POST /v1/payments/{id}/refund`): Razorpay documents an idempotency header for refunds,
`X-Refund-Idempotency` (10+ characters of letters, digits, `-` and `_`; the same body again gives
the same refund, another body is refused). Where an account does not have it, a retry must not
refund twice either: the refund's `receipt` is Paydesk's refund reference, and `refund_create`
first lists the payment's refunds (`GET /v1/payments/{id}/refunds`) and answers the one with
that receipt, if any, instead of making a second.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import httpx

from paydesk.errors import GatewayError, GatewayUnavailable
from paydesk.gateways.credentials import gateway_credential
from paydesk.gateways.http import Answer, GatewayHttp, gateway_base_url
from paydesk.money import Money

GATEWAY = "razorpay"
DISPLAY_NAME = "Razorpay"
LIVE_API = "https://api.razorpay.com"
RECEIPT_MAX = 40
NOTES_VALUE_MAX = 256
# Razorpay's documented minimum order amount is ₹1.00 (100 paise).
MINIMUM_SUBUNITS = {"INR": 100}
# Currencies whose three-decimal subunit Razorpay takes only in tens (last digit 0).
TENS_ONLY = frozenset({"KWD", "BHD", "OMR"})
REFUND_IDEMPOTENCY_HEADER = "X-Refund-Idempotency"
_IDEMPOTENCY_KEY = re.compile(r"[^A-Za-z0-9_-]")


def api_base() -> str:
    return gateway_base_url("PAYDESK_RAZORPAY_API_BASE", live=LIVE_API, sandbox_path="razorpay")


def order_subunits(amount: Money) -> int:
    """The order's `amount`: an integer of subunits, checked against Razorpay's rules first so
    the customer gets a plain message rather than an API refusal."""
    units = amount.to_minor_units()
    minimum = MINIMUM_SUBUNITS.get(amount.currency)
    if minimum is not None and units < minimum:
        raise GatewayError(
            f"Razorpay's smallest {amount.currency} payment is "
            f"{Money.from_minor_units(minimum, amount.currency)}."
        )
    if amount.currency in TENS_ONLY and units % 10:
        raise GatewayError(
            f"Razorpay takes {amount.currency} amounts only in steps of 0.010 {amount.currency}."
        )
    return units


def refund_idempotency_key(key: str) -> str:
    """`key` as Razorpay takes it: letters, digits, `-`, `_`; at least 10 characters."""
    cleaned = _IDEMPOTENCY_KEY.sub("_", key)[:100]
    if len(cleaned) < 10:
        raise GatewayError("A Razorpay refund idempotency key has at least 10 characters.")
    return cleaned


def error_description(body: Any) -> str:
    """Razorpay's error description (never its metadata), or a plain fallback."""
    error = body.get("error") if isinstance(body, dict) else None
    if isinstance(error, dict):
        description = error.get("description")
        if isinstance(description, str) and description.strip():
            return description.strip()[:300]
    return "Razorpay refused the request."


class RazorpayClient:
    """One instance per use; settings are read when it is made (tests change them)."""

    def __init__(
        self,
        *,
        key_id: str | None = None,
        key_secret: str | None = None,
        base_url: str | None = None,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        key_id = gateway_credential("PAYDESK_RAZORPAY_KEY_ID") if key_id is None else key_id
        key_secret = (
            gateway_credential("PAYDESK_RAZORPAY_KEY_SECRET") if key_secret is None else key_secret
        )
        if not key_id or not key_secret:
            raise GatewayError("Razorpay is not configured (no API key).")
        self.key_id = key_id
        self._http = GatewayHttp(
            gateway=GATEWAY,
            display_name=DISPLAY_NAME,
            base_url=base_url or api_base(),
            auth=(key_id, key_secret),
            transport=transport,
        )

    def _call(self, method: str, path: str, **options: Any) -> Any:
        answer: Answer = self._http.request(method, path, **options)
        if answer.ok:
            if not isinstance(answer.body, dict):
                raise GatewayUnavailable("Razorpay answered something that is not an object.")
            return answer.body
        if answer.status == 429:
            raise GatewayUnavailable("Razorpay asked Paydesk to slow down (HTTP 429).")
        if answer.status == 409:  # an idempotent refund still being processed: ask again
            raise GatewayUnavailable("Razorpay is still working on that request (HTTP 409).")
        raise GatewayError(f"Razorpay refused: {error_description(answer.body)}")

    # --- orders ----------------------------------------------------------------------------

    def order_create(
        self,
        *,
        amount: Money,
        receipt: str,
        notes: Mapping[str, str],
        payment_reference: str = "",
        idempotency_key: str = "",
    ) -> dict[str, Any]:
        """POST /v1/orders. `partial_payment` false: the order is paid in one payment or not."""
        if not receipt or len(receipt) > RECEIPT_MAX:
            raise GatewayError(f"A Razorpay receipt has 1 to {RECEIPT_MAX} characters.")
        body = {
            "amount": order_subunits(amount),
            "currency": amount.currency,
            "receipt": receipt,
            "partial_payment": False,
            "notes": {str(k)[:40]: str(v)[:NOTES_VALUE_MAX] for k, v in notes.items()},
        }
        return self._call(
            "POST",
            "/v1/orders",
            json_body=body,
            payment_reference=payment_reference,
            idempotency_key=idempotency_key,
        )

    def orders_by_receipt(self, receipt: str, *, payment_reference: str = "") -> list[dict]:
        """GET /v1/orders?receipt=… — the orders made with that receipt, newest first."""
        body = self._call(
            "GET",
            "/v1/orders",
            params={"receipt": receipt, "count": "10"},
            payment_reference=payment_reference,
        )
        items = body.get("items")
        orders = [o for o in items if isinstance(o, dict)] if isinstance(items, list) else []
        # The filter matches receipts that *contain* the value: keep exact matches only.
        return [o for o in orders if o.get("receipt") == receipt]

    def order_get(self, order_id: str, *, payment_reference: str = "") -> dict[str, Any]:
        """GET /v1/orders/{id}."""
        return self._call(
            "GET", f"/v1/orders/{_path_id(order_id)}", payment_reference=payment_reference
        )

    def order_payments(self, order_id: str, *, payment_reference: str = "") -> list[dict]:
        """GET /v1/orders/{id}/payments — every payment attempted on the order."""
        body = self._call(
            "GET",
            f"/v1/orders/{_path_id(order_id)}/payments",
            payment_reference=payment_reference,
        )
        items = body.get("items")
        return [p for p in items if isinstance(p, dict)] if isinstance(items, list) else []

    # --- payments --------------------------------------------------------------------------

    def payment_get(self, payment_id: str, *, payment_reference: str = "") -> dict[str, Any]:
        """GET /v1/payments/{id}."""
        return self._call(
            "GET", f"/v1/payments/{_path_id(payment_id)}", payment_reference=payment_reference
        )

    def payment_capture(
        self, payment_id: str, *, amount: Money, payment_reference: str = ""
    ) -> dict[str, Any]:
        """POST /v1/payments/{id}/capture — capture an `authorized` payment (when the account's
        auto-capture is off) for exactly its amount; Razorpay answers the captured payment.
        Capturing is idempotent on Razorpay's side in effect: a second capture is refused
        ("already captured"), and Paydesk then reads the payment again."""
        return self._call(
            "POST",
            f"/v1/payments/{_path_id(payment_id)}/capture",
            json_body={"amount": amount.to_minor_units(), "currency": amount.currency},
            payment_reference=payment_reference,
            idempotency_key=f"capture:{payment_id}",
        )

    # --- refunds ---------------------------------------------------------------------------

    def payment_refunds(self, payment_id: str, *, payment_reference: str = "") -> list[dict]:
        """GET /v1/payments/{id}/refunds — every refund of the payment (count 100, the most
        Razorpay lists at once; a payment has few refunds)."""
        body = self._call(
            "GET",
            f"/v1/payments/{_path_id(payment_id)}/refunds",
            params={"count": "100"},
            payment_reference=payment_reference,
        )
        items = body.get("items")
        return [r for r in items if isinstance(r, dict)] if isinstance(items, list) else []

    def refund_get(self, refund_id: str, *, payment_reference: str = "") -> dict[str, Any]:
        """GET /v1/refunds/{id} — one refund as Razorpay has it now."""
        return self._call(
            "GET", f"/v1/refunds/{_path_id(refund_id)}", payment_reference=payment_reference
        )

    def refund_create(
        self,
        payment_id: str,
        *,
        amount: Money,
        receipt: str,
        notes: Mapping[str, str],
        idempotency_key: str,
        payment_reference: str = "",
    ) -> dict[str, Any]:
        """POST /v1/payments/{id}/refund {amount, speed: normal, receipt, notes}, with the
        idempotency header — unless the payment already has a refund with this receipt (an
        earlier attempt whose answer was lost), which is answered instead."""
        if not receipt or len(receipt) > RECEIPT_MAX:
            raise GatewayError(f"A Razorpay receipt has 1 to {RECEIPT_MAX} characters.")
        key = refund_idempotency_key(idempotency_key)
        units = order_subunits(amount)
        for earlier in self.payment_refunds(payment_id, payment_reference=payment_reference):
            if earlier.get("receipt") == receipt:
                return earlier
        body = {
            "amount": units,
            "speed": "normal",
            "receipt": receipt,
            "notes": {str(k)[:40]: str(v)[:NOTES_VALUE_MAX] for k, v in notes.items()},
        }
        return self._call(
            "POST",
            f"/v1/payments/{_path_id(payment_id)}/refund",
            json_body=body,
            headers={REFUND_IDEMPOTENCY_HEADER: key},
            payment_reference=payment_reference,
            idempotency_key=key,
        )


def _path_id(value: str) -> str:
    """An id as one path segment: Razorpay's ids are letters, digits and `_`."""
    if not value or not value.replace("_", "").isalnum() or not value.isascii():
        raise GatewayError("That is not a Razorpay id.")
    return value
