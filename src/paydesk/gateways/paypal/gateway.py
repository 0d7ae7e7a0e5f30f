"""PayPal (Orders v2) as Paydesk's `paypal` method: create an order, send the customer to PayPal
to approve it, capture it when they come back (or when reconciliation finds it approved), and
count it paid only when PayPal's capture is COMPLETED for the quoted amount and currency
(gateway_event_apply checks those against the locked quote).

Order and capture statuses → our outcomes (spec §5; docs/gateways/paypal.md):
- order CREATED / SAVED / PAYER_ACTION_REQUIRED → pending, not in flight (the customer has not
  approved: reconciliation may cancel it as abandoned); back through the cancel URL → cancelled,
  "You cancelled the payment at PayPal.";
- order APPROVED → captured now (`PayPal-Request-Id: capture:<order>`: once, however many ask);
- capture COMPLETED → completed (fee = seller_receivable_breakdown.paypal_fee); DECLINED /
  FAILED (or the capture refused with INSTRUMENT_DECLINED) → cancelled with the reason; PENDING
  → pending and in flight; REFUNDED → cancelled; PARTIALLY_REFUNDED → pending for staff;
- order VOIDED → cancelled.

The order looked at is always the one stored on the payment, never the `token` of a return URL;
an order whose purchase unit names another payment is refused.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from paydesk.errors import GatewayError, GatewayUnavailable
from paydesk.gateways.base import (
    CheckoutRequest,
    CheckoutResult,
    GatewayEvent,
    Outcome,
    RefundEvent,
    RefundRequest,
)
from paydesk.gateways.paypal.client import (
    CURRENCIES,
    DISPLAY_NAME,
    GATEWAY_NAME,
    PayPalClient,
    PayPalRefusal,
    order_link,
    paypal_amount_value,
)
from paydesk.gateways.paypal.disputes import REASONS, status_words
from paydesk.gateways.paypal.returns import refund_event
from paydesk.gateways.signing import fee_from, mapping, money_from_decimal, text
from paydesk.money import Money

logger = logging.getLogger("paydesk.gateways")

CANCELLED_REASON = "You cancelled the payment at PayPal."
NOT_APPROVED = ("CREATED", "SAVED", "PAYER_ACTION_REQUIRED")
# PayPal's 422 issue for a request sent again (same PayPal-Request-Id) while the first one still
# runs on the same resource: "Please wait for sometime and try again" (its errors reference).
CAPTURE_IN_PROGRESS = "PREVIOUS_REQUEST_IN_PROGRESS"


def _units(order: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    units = order.get("purchase_units")
    return [mapping(unit) for unit in units] if isinstance(units, list) else []


def order_reference(order: Mapping[str, Any]) -> str:
    """Our payment reference as the order's first purchase unit carries it."""
    for unit in _units(order):
        for key in ("custom_id", "reference_id", "invoice_id"):
            value = text(unit.get(key))
            if value and value != "default":
                return value
    return ""


def order_capture_of(order: Mapping[str, Any]) -> Mapping[str, Any] | None:
    """The order's capture: the completed one if any, else the newest."""
    captures = [
        mapping(capture)
        for unit in _units(order)
        for capture in (mapping(unit.get("payments")).get("captures") or [])
        if isinstance(capture, dict)
    ]
    for capture in captures:
        if text(capture.get("status")).upper() == "COMPLETED":
            return capture
    return captures[-1] if captures else None


class PayPalGateway:
    """The `paypal` method: PayPal Checkout through Orders v2, redirect and capture."""

    name = GATEWAY_NAME
    display_name = DISPLAY_NAME
    # A dispute's `gateway_status` in words, for the back office (disputes.py).
    dispute_status_words = staticmethod(status_words)
    # Its reason codes' words, for reasons stored as codes (gateways/dispute_words.py).
    dispute_reasons = REASONS
    # Pay's form may be redirected here (PayPal's approval page): Make Payment's form-action.
    hosted_origins: tuple[str, ...] = ("https://www.paypal.com", "https://www.sandbox.paypal.com")
    needs_browser = True
    fields = ("amount", "currency")
    secret_settings = (
        "PAYDESK_PAYPAL_CLIENT_ID",
        "PAYDESK_PAYPAL_CLIENT_SECRET",
        "PAYDESK_PAYPAL_WEBHOOK_ID",
    )

    def amount_refusal(self, amount: Money) -> str:
        """Why this gateway cannot charge `amount` exactly ('' when it can), for the quote."""
        try:
            paypal_amount_value(amount)
        except GatewayError as error:
            return error.message
        return ""

    def supported_currencies(self) -> frozenset[str] | None:
        return CURRENCIES

    # --- checkout ----------------------------------------------------------------------

    def start_checkout(self, request: CheckoutRequest) -> CheckoutResult:
        order = PayPalClient().order_create(
            reference=request.payment_reference,
            amount=request.amount,
            description=request.description,
            return_url=request.return_url,
            cancel_url=request.cancel_url,
            request_id=request.idempotency_key,
        )
        self._check_reference(order, request.payment_reference)
        link = order_link(order, "payer-action", "approve")
        return CheckoutResult(
            outcome=Outcome.PENDING, gateway_reference=order["id"], redirect_url=link
        )

    def confirm_return(
        self, *, payment_reference: str, gateway_reference: str, params: Mapping[str, str]
    ) -> GatewayEvent | None:
        if not gateway_reference:
            return None  # the checkout never got an order: the customer cannot have paid
        token = params.get("token", "")
        if token and token != gateway_reference:
            logger.warning(
                "Payment %s: PayPal's return named order %s, not the stored %s; asking about %s.",
                payment_reference,
                token[:40],
                gateway_reference,
                gateway_reference,
            )
        client = PayPalClient()
        order = client.order_get(gateway_reference, payment_reference=payment_reference)
        self._check_reference(order, payment_reference)
        status = text(order.get("status")).upper()
        if status in NOT_APPROVED:
            if params.get("cancelled"):
                return self._event(
                    order,
                    payment_reference,
                    event_id=f"return:{order['id']}:cancelled",
                    outcome=Outcome.CANCELLED,
                    reason=CANCELLED_REASON,
                )
            return None  # back without approving, and not through the cancel URL
        return self._settle(client, order, payment_reference, source="return")

    def fetch_status(self, *, payment_reference: str, gateway_reference: str) -> GatewayEvent:
        if not gateway_reference:
            raise GatewayError("PayPal has no order for this payment: the checkout never got one.")
        client = PayPalClient()
        order = client.order_get(gateway_reference, payment_reference=payment_reference)
        self._check_reference(order, payment_reference)
        return self._settle(client, order, payment_reference, source="query")

    def refund(self, request: RefundRequest) -> RefundEvent:
        """Refund through Payments v2 (`POST /v2/payments/captures/{capture}/refund`): our refund
        row's reference as `custom_id`, its idempotency key as `PayPal-Request-Id`. PayPal's
        answer (COMPLETED, PENDING, FAILED/CANCELLED) as a RefundEvent; a refusal (422: fully
        refunded, insufficient funds, …) is GatewayError — PayPal made no refund; the same
        request still in progress at PayPal is GatewayUnavailable (ask again, same key)."""
        if not request.transaction_id:
            raise GatewayError("This PayPal payment has no capture id: nothing to refund.")
        try:
            refund = PayPalClient().capture_refund(
                request.transaction_id,
                amount=request.amount,
                custom_id=request.refund_reference,
                note_to_payer=request.reason,
                request_id=request.idempotency_key,
                payment_reference=request.payment_reference,
            )
        except PayPalRefusal as refusal:
            if refusal.issue in (CAPTURE_IN_PROGRESS, "RATE_LIMIT_REACHED"):
                raise GatewayUnavailable(str(refusal)) from refusal
            raise
        return self._refund_answer(refund, request)

    def refund_fetch(self, request: RefundRequest, *, refund_id: str) -> RefundEvent:
        """`GET /v2/payments/refunds/{id}`: the refund as PayPal has it now, as the same event
        its refund answer gives."""
        refund = PayPalClient().refund_get(refund_id, payment_reference=request.payment_reference)
        return self._refund_answer(refund, request)

    @staticmethod
    def _refund_answer(refund: Mapping[str, Any], request: RefundRequest) -> RefundEvent:
        status = text(refund.get("status")).lower() or "unknown"
        try:
            return refund_event(
                refund,
                event_id=f"refund:{text(refund.get('id'))}:{status}",
                capture_id=request.transaction_id,
                refund_reference=request.refund_reference,
            )
        except GatewayError as error:
            # PayPal made a refund Paydesk cannot read: never "refused"; it stays pending
            # and is asked about again (or PayPal's webhook settles it).
            raise GatewayUnavailable(f"PayPal's refund answer is unreadable: {error}") from error

    # --- mapping -----------------------------------------------------------------------

    @staticmethod
    def _check_reference(order: Mapping[str, Any], payment_reference: str) -> None:
        reference = order_reference(order)
        if reference and reference != payment_reference:
            raise GatewayError(
                f"PayPal order {text(order.get('id'))} belongs to payment {reference}, "
                f"not {payment_reference}."
            )

    def _settle(
        self,
        client: PayPalClient,
        order: Mapping[str, Any],
        payment_reference: str,
        *,
        source: str,
    ) -> GatewayEvent:
        order_id = text(order.get("id"))
        if text(order.get("status")).upper() == "APPROVED":
            try:
                order = client.order_capture(order_id, payment_reference=payment_reference)
            except PayPalRefusal as refusal:
                if refusal.issue == "ORDER_ALREADY_CAPTURED":
                    order = client.order_get(order_id, payment_reference=payment_reference)
                elif refusal.issue == CAPTURE_IN_PROGRESS:
                    # 422: a capture with the same PayPal-Request-Id is still running at PayPal
                    # (a return and reconciliation at once). Its outcome is not known yet: the
                    # payment stays pending, asked again later — never refused or cancelled.
                    raise GatewayUnavailable(
                        f"PayPal is still capturing order {order_id} (an earlier capture request "
                        "is in progress)."
                    ) from refusal
                elif refusal.issue in ("INSTRUMENT_DECLINED", "TRANSACTION_REFUSED"):
                    return self._event(
                        order,
                        payment_reference,
                        event_id=f"{source}:{order_id}:declined",
                        outcome=Outcome.CANCELLED,
                        reason=f"PayPal declined the payment ({refusal.issue}).",
                    )
                else:
                    raise
        status = text(order.get("status")).upper()
        capture = order_capture_of(order)
        if capture is not None:
            return self._capture_event(order, capture, payment_reference, source=source)
        if status in NOT_APPROVED:
            return self._event(
                order,
                payment_reference,
                event_id=f"{source}:{order_id}:{status.lower()}",
                outcome=Outcome.PENDING,
                reason="Not approved at PayPal yet.",
            )
        if status == "VOIDED":
            return self._event(
                order,
                payment_reference,
                event_id=f"{source}:{order_id}:voided",
                outcome=Outcome.CANCELLED,
                reason="PayPal voided the order.",
            )
        if status == "COMPLETED":
            raise GatewayUnavailable(f"PayPal shows order {order_id} completed without a capture.")
        # APPROVED after a capture attempt, or a status PayPal added later: money may be moving.
        return self._event(
            order,
            payment_reference,
            event_id=f"{source}:{order_id}:{status.lower() or 'unknown'}",
            outcome=Outcome.PENDING,
            reason=f"PayPal reports the order as {status or 'unknown'}.",
            in_flight=True,
        )

    def _capture_event(
        self,
        order: Mapping[str, Any],
        capture: Mapping[str, Any],
        payment_reference: str,
        *,
        source: str,
    ) -> GatewayEvent:
        order_id = text(order.get("id"))
        status = text(capture.get("status")).upper()
        amount_part = mapping(capture.get("amount"))
        amount = money_from_decimal(amount_part.get("value"), amount_part.get("currency_code"))
        fee_part = mapping(mapping(capture.get("seller_receivable_breakdown")).get("paypal_fee"))
        fee = money_from_decimal(fee_part.get("value"), fee_part.get("currency_code"))
        why = text(mapping(capture.get("status_details")).get("reason"))
        common: dict[str, Any] = {
            "event_id": f"{source}:{order_id}:{status.lower() or 'unknown'}",
            "amount": amount,
            "capture": capture,
        }
        if status == "COMPLETED":
            return self._event(
                order,
                payment_reference,
                outcome=Outcome.COMPLETED,
                fee=fee_from(fee, amount),
                **common,
            )
        if status in ("DECLINED", "FAILED"):
            reason = (
                f"PayPal declined the payment ({why})." if why else ("PayPal declined the payment.")
            )
            return self._event(
                order, payment_reference, outcome=Outcome.CANCELLED, reason=reason, **common
            )
        if status == "REFUNDED":
            return self._event(
                order,
                payment_reference,
                outcome=Outcome.CANCELLED,
                reason="PayPal refunded the payment.",
                **common,
            )
        if status == "PARTIALLY_REFUNDED":
            return self._event(
                order,
                payment_reference,
                outcome=Outcome.PENDING,
                attention="PayPal shows this payment as partially refunded.",
                **common,
            )
        held = f" ({why})" if why else ""
        return self._event(
            order,
            payment_reference,
            outcome=Outcome.PENDING,
            in_flight=True,
            reason=f"PayPal is holding the payment{held}; it is credited when PayPal releases it.",
            **common,
        )

    @staticmethod
    def _event(
        order: Mapping[str, Any],
        payment_reference: str,
        *,
        event_id: str,
        outcome: Outcome,
        capture: Mapping[str, Any] | None = None,
        **fields: Any,
    ) -> GatewayEvent:
        capture = capture or {}
        return GatewayEvent(
            gateway=GATEWAY_NAME,
            event_id=event_id,
            outcome=outcome,
            payment_reference=payment_reference,
            gateway_reference=text(order.get("id")),
            transaction_id=text(capture.get("id")),
            summary={
                "order_id": text(order.get("id")),
                "order_status": text(order.get("status")),
                "capture_id": text(capture.get("id")),
                "capture_status": text(capture.get("status")),
            },
            **fields,
        )
