"""Razorpay as a Paydesk online gateway: an order, Razorpay Checkout on our own page, the
checkout's signature checked against the order id WE stored, then Razorpay's API asked.

- start_checkout: find the order already made for this payment (receipt = our reference) or
  create it, and send the customer to /pay/razorpay/<reference>/, our page that opens Razorpay
  Checkout (checkout.js) for that order with in-order retries turned off.
- confirm_return: the page posts what Checkout handed it. A signature is checked with the key
  secret over "{stored order id}|{payment id}" (never the browser's order id); a bad one is a
  GatewayError and nothing is credited. Then the payment (or, without a signature: a failure or
  a closed checkout, the order's payments) is fetched from Razorpay and mapped.
- fetch_status: the order and its payments from Razorpay.

Mapping (spec §5): a payment `captured` → completed (amount and fee from subunits);
`authorized` → captured through the API first (`POST /v1/payments/{id}/capture`, for exactly
the order's amount: with the account's auto-capture off a payment waits there, and Razorpay
refunds an authorisation never captured), then completed; `failed` → cancelled with Razorpay's
error description (retries are off, so one failed payment ends the order); `refunded` →
cancelled; `created` → pending, in flight. An order with no payment → pending (reconciliation
may abandon it); the customer closing the checkout without paying → cancelled.

Late authorisation (Razorpay documents it): a payment reported `failed` can later become
`authorized` and `captured` on the same order. Paydesk has cancelled the payment by then; the
capture arrives as an event about a cancelled payment and is credited once as a late payment
(checkout/services.py `_late_payment`), bound by the order id, its transaction the payment id.

Binding (docs/gateways/razorpay.md): the order id Paydesk stored, the order's receipt and notes
(set by our server); never a payment entity's notes, which Checkout copies from the payer's
browser.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from django.conf import settings
from django.urls import reverse

from paydesk.errors import GatewayError, GatewayUnavailable, WebhookSignatureInvalid
from paydesk.gateways.base import (
    CheckoutRequest,
    CheckoutResult,
    GatewayEvent,
    Outcome,
    RefundEvent,
    RefundRequest,
)
from paydesk.gateways.credentials import gateway_credential
from paydesk.gateways.http import public_url
from paydesk.gateways.razorpay.client import RazorpayClient, order_subunits
from paydesk.gateways.razorpay.disputes import REASONS, status_words
from paydesk.gateways.razorpay.refunds import REFUND_KEY, refund_event
from paydesk.gateways.razorpay.webhooks import (
    GATEWAY_NAME,
    REFERENCE_KEY,
    razorpay_payment_signature_verify,
)
from paydesk.gateways.signing import fee_from, mapping, money_from_minor_units, text
from paydesk.money import Money

logger = logging.getLogger("paydesk.gateways")

LIVE_CHECKOUT_JS = "https://checkout.razorpay.com/v1/checkout.js"
IN_FLIGHT = ("created", "authorized")
ENDED = ("failed", "refunded")
CLOSED_REASON = "You closed the Razorpay checkout without paying."


def checkout_js_url() -> str:
    """Where our Razorpay page loads checkout.js from: the setting, else the sandbox's copy when
    the sandbox is on, else Razorpay's own."""
    explicit = settings.PAYDESK_RAZORPAY_CHECKOUT_JS_URL.strip()
    if explicit:
        return explicit
    if settings.PAYDESK_SANDBOX:
        return public_url("/sandbox/razorpay/v1/checkout.js")
    return LIVE_CHECKOUT_JS


def _order_matches(order: Mapping[str, Any], amount: Money) -> bool:
    return money_from_minor_units(order.get("amount"), text(order.get("currency"))) == amount


class RazorpayGateway:
    """Razor Pay (method `razorpay`)."""

    name = GATEWAY_NAME
    display_name = "Razorpay"
    # `refund` lists the payment's refunds and answers the one with our receipt before it makes
    # one (client.py), whatever X-Refund-Idempotency still remembers: safe at any age.
    refund_key_hours = None
    # Pay's form goes to our own page, where the checkout opens: no form-action origin.
    hosted_origins: tuple[str, ...] = ()
    needs_browser = True
    fields = ("amount", "currency")
    # A dispute's `gateway_status` ("open (chargeback)") in words, for the back office
    # (disputes.py).
    dispute_status_words = staticmethod(status_words)
    # Its reason codes' words, for reasons stored as codes (gateways/dispute_words.py).
    dispute_reasons = REASONS
    secret_settings = (
        "PAYDESK_RAZORPAY_KEY_ID",
        "PAYDESK_RAZORPAY_KEY_SECRET",
        "PAYDESK_RAZORPAY_WEBHOOK_SECRET",
    )

    def amount_refusal(self, amount: Money) -> str:
        """Why this gateway cannot charge `amount` exactly ('' when it can), for the quote."""
        try:
            order_subunits(amount)
        except GatewayError as error:
            return error.message
        return ""

    def supported_currencies(self) -> frozenset[str] | None:
        return None  # Razorpay takes INR and a long list of international currencies

    # --- checkout ------------------------------------------------------------------------

    def start_checkout(self, request: CheckoutRequest) -> CheckoutResult:
        client = RazorpayClient()
        reference = request.payment_reference
        earlier = client.orders_by_receipt(reference, payment_reference=reference)
        order = next((o for o in earlier if _order_matches(o, request.amount)), None)
        if order is None and earlier:
            raise GatewayError("Razorpay has an order for this payment with another amount.")
        if order is None:
            order = client.order_create(
                amount=request.amount,
                receipt=reference,
                notes={REFERENCE_KEY: reference},
                payment_reference=reference,
                idempotency_key=request.idempotency_key,
            )
        order_id = text(order.get("id"))
        if not order_id.startswith("order_") or not _order_matches(order, request.amount):
            raise GatewayError("Razorpay answered with an order Paydesk did not ask for.")
        return CheckoutResult(
            outcome=Outcome.PENDING,
            gateway_reference=order_id,
            redirect_url=public_url(reverse("checkout:razorpay", args=[reference])),
        )

    def confirm_return(
        self, *, payment_reference: str, gateway_reference: str, params: Mapping[str, str]
    ) -> GatewayEvent | None:
        client = RazorpayClient()
        order_id = gateway_reference or self._order_id(client, payment_reference)
        if not order_id:
            return None  # no order was ever made: Checkout cannot have been opened
        signature = params.get("razorpay_signature", "")
        if signature:
            payment_id = params.get("razorpay_payment_id", "")
            try:
                razorpay_payment_signature_verify(
                    stored_order_id=order_id,
                    payment_id=payment_id,
                    signature=signature,
                    key_secret=gateway_credential("PAYDESK_RAZORPAY_KEY_SECRET"),
                )
            except WebhookSignatureInvalid as error:
                logger.warning(
                    "Payment %s: Razorpay checkout signature refused (%s); nothing credited.",
                    payment_reference,
                    error.message,
                )
                raise GatewayError(
                    "The Razorpay checkout's signature did not match this payment: nothing is "
                    "credited until Razorpay itself confirms it."
                ) from error
            payment: Mapping[str, Any] = client.payment_get(
                payment_id, payment_reference=payment_reference
            )
            if text(payment.get("order_id")) != order_id:
                raise GatewayError("That Razorpay payment belongs to another order.")
            if text(payment.get("status")) == "authorized":
                order = client.order_get(order_id, payment_reference=payment_reference)
                payment = self._captured(client, payment_reference, order, payment)
            return self._payment_event("return", payment_reference, order_id, payment)
        event = self._order_event(client, "return", payment_reference, order_id)
        if event.outcome is Outcome.PENDING and not event.in_flight:
            if params.get("cancelled"):
                return GatewayEvent(
                    gateway=self.name,
                    event_id=f"return:{order_id}:closed",
                    outcome=Outcome.CANCELLED,
                    payment_reference=payment_reference,
                    gateway_reference=order_id,
                    reason=CLOSED_REASON,
                    summary={"order_id": order_id, "status": "closed"},
                )
            return None
        return event

    def fetch_status(self, *, payment_reference: str, gateway_reference: str) -> GatewayEvent:
        client = RazorpayClient()
        order_id = gateway_reference or self._order_id(client, payment_reference)
        if not order_id:
            raise GatewayError(f"Razorpay has no order for payment {payment_reference}.")
        return self._order_event(client, "query", payment_reference, order_id)

    def notification_confirm(self, event: GatewayEvent) -> GatewayEvent:
        """A webhook's event, settled with Razorpay first when it reports an `authorized`
        payment (auto-capture off, or a late authorisation): the payment is read back from
        Razorpay, captured if it is still only authorized and its order is one of ours for the
        same amount, and the captured payment's event is applied instead. Other events pass."""
        if not isinstance(event, GatewayEvent):
            return event  # a refund or dispute: Razorpay's own word, applied as it is
        payment_id = event.transaction_id
        if event.summary.get("status") != "authorized" or not payment_id:
            return event
        client = RazorpayClient()
        payment = client.payment_get(payment_id, payment_reference=event.payment_reference)
        order_id = text(payment.get("order_id"))
        if not order_id or order_id != event.gateway_reference:
            raise GatewayError("That Razorpay payment belongs to another order.")
        order = client.order_get(order_id)
        reference = _owner(order)
        if not reference:
            raise GatewayError("That Razorpay order was not made by Paydesk.")
        captured = self._captured(client, reference, order, payment)
        return self._payment_event("webhook", reference, order_id, captured)

    # --- refunds -------------------------------------------------------------------------

    def refund(self, request: RefundRequest) -> RefundEvent:
        """POST /v1/payments/{payment id}/refund for `request.amount` (client.py: idempotency
        header, and a refund already made with this receipt is answered instead of a second).
        Razorpay's refund `processed` → COMPLETED, `pending` → PENDING, `failed` → CANCELLED."""
        payment_id = request.transaction_id
        if not payment_id.startswith("pay_"):
            raise GatewayError("This payment has no Razorpay payment id to refund.")
        reference = request.refund_reference
        answer = RazorpayClient().refund_create(
            payment_id,
            amount=request.amount,
            receipt=reference,
            notes={
                REFUND_KEY: reference,
                "paydesk_payment": request.payment_reference,
                "reason": request.reason,
            },
            idempotency_key=request.idempotency_key,
            payment_reference=request.payment_reference,
        )
        return self._refund_answer(answer, request)

    def refund_fetch(self, request: RefundRequest, *, refund_id: str) -> RefundEvent:
        """GET /v1/refunds/{id}: the refund as Razorpay has it now, as the same event its
        refund answer gives."""
        answer = RazorpayClient().refund_get(refund_id, payment_reference=request.payment_reference)
        if text(answer.get("id")) != refund_id:
            raise GatewayUnavailable(f"Razorpay answered another refund than {refund_id}.")
        return self._refund_answer(answer, request)

    @staticmethod
    def _refund_answer(answer: Mapping[str, Any], request: RefundRequest) -> RefundEvent:
        status = text(answer.get("status"))
        event = refund_event(
            answer,
            event_id=f"refund:{text(answer.get('id'))}:{status}",
            gateway_reference=request.gateway_reference,
        )
        if (
            event is None
            or event.transaction_id != request.transaction_id
            or event.refund_reference != request.refund_reference
            or event.amount != request.amount
        ):
            # Something was made (or not): leave the refund pending and ask again.
            raise GatewayUnavailable("Razorpay answered a refund Paydesk did not ask for.")
        return event

    def _captured(
        self,
        client: RazorpayClient,
        reference: str,
        order: Mapping[str, Any],
        payment: Mapping[str, Any],
    ) -> Mapping[str, Any]:
        """The payment, captured first when it is only `authorized` and is for exactly the
        order's amount (anything else is left for its event to say). A capture Razorpay refuses
        because it happened meanwhile (auto-capture, another server) reads the payment again."""
        if text(payment.get("status")) != "authorized":
            return payment
        amount = money_from_minor_units(payment.get("amount"), text(payment.get("currency")))
        if amount is None or not _order_matches(order, amount):
            return payment
        payment_id = text(payment.get("id"))
        try:
            return client.payment_capture(payment_id, amount=amount, payment_reference=reference)
        except GatewayError as error:
            logger.info(
                "Razorpay payment %s not captured (%s); reading it again.",
                payment_id,
                error.message,
            )
            return client.payment_get(payment_id, payment_reference=reference)

    # --- reading Razorpay's answers ------------------------------------------------------

    def _order_id(self, client: RazorpayClient, reference: str) -> str:
        """The order made for this payment when its id never reached us (a timed-out create)."""
        orders = client.orders_by_receipt(reference, payment_reference=reference)
        return text(orders[0].get("id")) if orders else ""

    def _order_event(
        self, client: RazorpayClient, prefix: str, reference: str, order_id: str
    ) -> GatewayEvent:
        order = client.order_get(order_id, payment_reference=reference)
        if text(order.get("id")) != order_id or _owner(order) != reference:
            raise GatewayError("That Razorpay order is not this payment's.")
        payments = [
            p
            for p in client.order_payments(order_id, payment_reference=reference)
            if text(p.get("order_id")) == order_id
        ]
        newest_first = sorted(payments, key=lambda p: _created(p), reverse=True)
        for wanted in (("captured",), IN_FLIGHT, ENDED):
            chosen: Mapping[str, Any] | None = next(
                (p for p in newest_first if text(p.get("status")) in wanted), None
            )
            if chosen is not None:
                chosen = self._captured(client, reference, order, chosen)
                return self._payment_event(prefix, reference, order_id, chosen)
        status = text(order.get("status")) or "unknown"
        return GatewayEvent(
            gateway=self.name,
            event_id=f"{prefix}:{order_id}:{status}",
            outcome=Outcome.PENDING,
            payment_reference=reference,
            gateway_reference=order_id,
            # "paid" with no captured payment listed yet: the money is there, wait for it.
            in_flight=status == "paid",
            summary={
                "order_id": order_id,
                "order_status": status,
                "attempts": text(order.get("attempts")),
            },
        )

    def _payment_event(
        self, prefix: str, reference: str, order_id: str, payment: Mapping[str, Any]
    ) -> GatewayEvent:
        status = text(payment.get("status"))
        payment_id = text(payment.get("id"))
        currency = text(payment.get("currency"))
        amount = money_from_minor_units(payment.get("amount"), currency)
        common: dict[str, Any] = {
            "gateway": self.name,
            "event_id": f"{prefix}:{order_id}:{payment_id}:{status}",
            "payment_reference": reference,
            "gateway_reference": order_id,
            "transaction_id": payment_id,
            "amount": amount,
            "summary": {
                "payment_id": payment_id,
                "order_id": order_id,
                "status": status,
                "method": text(payment.get("method")),
            },
        }
        if status == "captured":
            fee = fee_from(money_from_minor_units(payment.get("fee"), currency), amount)
            return GatewayEvent(outcome=Outcome.COMPLETED, fee=fee, **common)
        if status == "failed":
            reason = text(payment.get("error_description")) or "Payment failed at Razorpay."
            return GatewayEvent(outcome=Outcome.CANCELLED, reason=reason[:300], **common)
        if status == "refunded":
            return GatewayEvent(
                outcome=Outcome.CANCELLED,
                reason="Refunded by Razorpay before it was credited.",
                **common,
            )
        return GatewayEvent(
            outcome=Outcome.PENDING,
            in_flight=True,
            reason=f"Razorpay holds the payment ({status or 'unknown'}); waiting for its capture.",
            **common,
        )


def _owner(order: Mapping[str, Any]) -> str:
    """Our reference on an order our server created (its notes, else its receipt)."""
    return text(mapping(order.get("notes")).get(REFERENCE_KEY)) or text(order.get("receipt"))


def _created(payment: Mapping[str, Any]) -> int:
    value = payment.get("created_at")
    return value if isinstance(value, int) and not isinstance(value, bool) else 0
