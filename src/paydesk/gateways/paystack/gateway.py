"""The Paystack gateway (spec §5 "Pay Stack"): initialize → redirect → verify, confirmed by the
`charge.success` webhook (paydesk.gateways.paystack.webhooks).

Our payment's reference is Paystack's transaction reference, so every question is asked by OUR
reference (never one from a return URL). The gateway reference stored on the payment is the
transaction's access code (its checkout page).

Status mapping (`data.status` of verify):
- `success` → completed with Paystack's amount and fees (the core refuses a mismatch);
- `failed` → cancelled with Paystack's `gateway_response` ("Declined");
- `reversed` → cancelled;
- `abandoned` (Paystack's state for "initialized, not paid yet") → cancelled when the customer
  came back through Paystack's Cancel (our cancel URL, `?cancelled=1`), else still pending — the
  customer may go back and pay, and reconciliation expires it as abandoned later;
- `ongoing`, `pending`, `processing`, `queued` and anything else → pending with the money on its
  way (`in_flight`): never expired as abandoned, the status is the staff-visible reason.
"""

from __future__ import annotations

from collections.abc import Mapping

from paydesk.errors import GatewayError, GatewayNotConfigured, GatewayUnavailable
from paydesk.gateways.base import (
    AnyGatewayEvent,
    CheckoutRequest,
    CheckoutResult,
    GatewayEvent,
    Outcome,
    RefundEvent,
    RefundRequest,
)
from paydesk.gateways.paystack.client import (
    CURRENCIES,
    DISPLAY_NAME,
    PaystackAuthFailed,
    PaystackClient,
    PaystackDuplicateReference,
    PaystackNotFound,
    PaystackTransaction,
)
from paydesk.gateways.paystack.disputes import REASONS, status_words
from paydesk.gateways.paystack.events import NEEDS_ATTENTION, UNCONFIRMED
from paydesk.gateways.paystack.refunds import PaystackRefund
from paydesk.gateways.paystack.webhooks import GATEWAY_NAME
from paydesk.gateways.signing import fee_from

NOT_PAID_YET = "Not paid at Paystack yet."
CUSTOMER_CANCELLED = "Abandoned at Paystack: the customer cancelled the payment."


class PaystackGateway:
    """Paystack's hosted checkout; Paydesk's payment reference is the transaction reference."""

    name = GATEWAY_NAME
    display_name = DISPLAY_NAME
    # Paystack takes no idempotency key: `refund` lists the transaction's refunds and answers
    # the one carrying our marker before it makes one, so asking again is safe at any age.
    refund_key_hours = None
    # A dispute's `gateway_status` in words, for the back office (disputes.py).
    dispute_status_words = staticmethod(status_words)
    # Its reason codes' words, for reasons stored as codes (gateways/dispute_words.py).
    dispute_reasons = REASONS
    # Pay's form may be redirected here (Paystack's checkout): Make Payment's form-action.
    hosted_origins: tuple[str, ...] = ("https://checkout.paystack.com",)
    needs_browser = True
    fields = ("amount", "currency")
    secret_settings: tuple[str, ...] = ("PAYDESK_PAYSTACK_SECRET_KEY",)

    def __init__(self, client: PaystackClient | None = None) -> None:
        self.client = client or PaystackClient()

    def supported_currencies(self) -> frozenset[str] | None:
        return CURRENCIES

    def start_checkout(self, request: CheckoutRequest) -> CheckoutResult:
        try:
            initialized = self.client.initialize(
                email=request.customer_email,
                amount=request.amount,
                reference=request.payment_reference,
                callback_url=request.return_url,
                cancel_url=request.cancel_url,
                idempotency_key=request.idempotency_key,
            )
        except PaystackDuplicateReference:
            return self._already_initialized(request)
        return CheckoutResult(
            outcome=Outcome.PENDING,
            gateway_reference=initialized.access_code,
            redirect_url=initialized.authorization_url,
        )

    def _already_initialized(self, request: CheckoutRequest) -> CheckoutResult:
        """The reference is taken: an earlier initialize reached Paystack but its answer was
        lost. Paystack does not give its checkout page again, so a settled transaction is
        applied and an unpaid one is refused (the customer starts a new payment)."""
        transaction = self.client.verify(request.payment_reference)
        event = transaction_event(transaction, source="checkout")
        if event.outcome is Outcome.PENDING:
            raise GatewayError(
                "Paystack already holds an unpaid transaction with this reference; "
                "please start a new payment."
            )
        return CheckoutResult(outcome=event.outcome, event=event)

    def confirm_return(
        self, *, payment_reference: str, gateway_reference: str, params: Mapping[str, str]
    ) -> GatewayEvent | None:
        """Paystack sends the customer to our return URL with `?trxref=…&reference=…`; its
        checkout's Cancel sends them to our cancel URL (`?cancelled=1`). Both only say "ask":
        the transaction is verified by our own reference."""
        transaction = self._verify(payment_reference)
        cancelled = str(params.get("cancelled", "")) == "1"
        return transaction_event(
            transaction, source="return", gateway_reference=gateway_reference, cancelled=cancelled
        )

    def fetch_status(self, *, payment_reference: str, gateway_reference: str) -> GatewayEvent:
        """Verify the transaction; GatewayError when Paystack never heard of it (the checkout
        never reached Paystack: reconciliation may expire it as abandoned)."""
        try:
            transaction = self._verify(payment_reference)
        except PaystackNotFound as error:
            raise GatewayError(
                f"Paystack has no transaction with reference {payment_reference}."
            ) from error
        return transaction_event(transaction, source="query", gateway_reference=gateway_reference)

    def refund(self, request: RefundRequest) -> RefundEvent:
        """Refund through `POST /refund`, once: Paystack takes no idempotency key, so the
        transaction's refunds are listed first and one whose merchant note carries this refund's
        marker (refunds.py) is answered instead of asking again."""
        try:
            if request.transaction_id:
                for known in self.client.refund_list(transaction_id=request.transaction_id):
                    if known.refund_reference == request.refund_reference:
                        return refund_event(known, source="refund", request=request)
            made = self.client.refund_create(
                transaction=request.payment_reference or request.transaction_id,
                amount=request.amount,
                refund_reference=request.refund_reference,
                reason=request.reason,
            )
        except (PaystackAuthFailed, GatewayNotConfigured) as error:
            raise GatewayUnavailable(error.message) from error  # ours to fix; stays pending
        return refund_event(made, source="refund", request=request)

    def refund_fetch(self, request: RefundRequest, *, refund_id: str) -> RefundEvent:
        """`GET /refund/{id}`: the refund as Paystack has it now, as the same event its refund
        answer gives."""
        try:
            known = self.client.refund_get(refund_id, payment_reference=request.payment_reference)
        except (PaystackAuthFailed, GatewayNotConfigured) as error:
            raise GatewayUnavailable(error.message) from error  # ours to fix; stays pending
        if known.id != refund_id or known.refund_reference not in ("", request.refund_reference):
            raise GatewayUnavailable(f"Paystack answered another refund than {refund_id}.")
        return refund_event(known, source="refund", request=request)

    def notification_confirm(self, event: AnyGatewayEvent) -> AnyGatewayEvent:
        """A refund notification without Paystack's refund id or our marker (the documented
        pending/processed/failed ones) is matched with the transaction's refunds at Paystack:
        the one for that amount in that state, newest first. A refund Paystack made for a
        dispute the merchant accepted is refused: the dispute's resolution accounts for it."""
        if not isinstance(event, RefundEvent) or (
            event.refund_id not in ("", UNCONFIRMED) and event.refund_reference
        ):
            return event
        try:
            transaction = self.client.verify(event.payment_reference)
            refunds = self.client.refund_list(transaction_id=transaction.id)
        except PaystackNotFound as error:
            raise GatewayError("Paystack has no such transaction.") from error
        except (PaystackAuthFailed, GatewayNotConfigured) as error:
            raise GatewayUnavailable(error.message) from error
        # A pending notification may find the refund already settled: its state now is told.
        wanted = {Outcome.COMPLETED: ("processed",), Outcome.CANCELLED: ("failed",)}.get(
            event.outcome
        )
        same = [
            r for r in refunds if r.amount == event.amount and (not wanted or r.status in wanted)
        ]
        if event.refund_id not in ("", UNCONFIRMED):
            same = [r for r in same if r.id == event.refund_id]
        if not same:
            raise GatewayError("Paystack lists no such refund of this transaction.")
        found = max(same, key=lambda r: int(r.id) if r.id.isdigit() else 0)
        if found.dispute:
            raise GatewayError("Paystack made this refund for a dispute: the dispute counts it.")
        return refund_event(found, source=str(event.summary.get("event", "refund")))

    def _verify(self, reference: str) -> PaystackTransaction:
        try:
            return self.client.verify(reference)
        except (PaystackAuthFailed, GatewayNotConfigured) as error:
            # Our key, not the payment, is wrong or missing: keep the payment pending (never
            # expired as abandoned) until the operator fixes it.
            raise GatewayUnavailable(error.message) from error


def transaction_event(
    transaction: PaystackTransaction,
    *,
    source: str,
    gateway_reference: str = "",
    cancelled: bool = False,
) -> GatewayEvent:
    """Our event for a verified transaction; `source` (checkout, return, query) and the status
    make its id, so asking twice applies once."""
    status = transaction.status or "unknown"
    event_id = f"{source}:{transaction.reference}:{status}"
    amount, fee, reason, in_flight = None, None, "", False
    response = transaction.gateway_response
    if status == "success":
        outcome = Outcome.COMPLETED
        amount = transaction.paid_for
        fee = fee_from(transaction.merchant_fees, amount) if amount is not None else None
    elif status == "failed":
        outcome = Outcome.CANCELLED
        reason = f"Failed at Paystack: {response}" if response else "Failed at Paystack."
    elif status == "reversed":
        outcome = Outcome.CANCELLED
        reason = "Reversed at Paystack."
    elif status == "abandoned":
        if cancelled:
            outcome, reason = Outcome.CANCELLED, CUSTOMER_CANCELLED
            event_id += ":cancelled"
        else:
            outcome, reason = Outcome.PENDING, NOT_PAID_YET
    else:  # ongoing, pending, processing, queued, or a status Paydesk does not know yet
        outcome, in_flight = Outcome.PENDING, True
        reason = f"Paystack reports the payment as {status}; Paydesk will ask again."
    return GatewayEvent(
        gateway=GATEWAY_NAME,
        event_id=event_id,
        outcome=outcome,
        payment_reference=transaction.reference,
        gateway_reference=gateway_reference,
        transaction_id=transaction.id,
        amount=amount,
        fee=fee,
        reason=reason,
        in_flight=in_flight,
        summary={
            "status": status,
            "transaction_id": transaction.id,
            "reference": transaction.reference,
            "amount": str(transaction.amount) if transaction.amount is not None else "",
            "requested_amount": str(transaction.requested_amount or ""),
            "fees": str(transaction.fees) if transaction.fees is not None else "",
            "channel": transaction.channel,
            "gateway_response": response,
            "paid_at": transaction.paid_at,
        },
    )


_REFUND_OUTCOMES = {"processed": Outcome.COMPLETED, "failed": Outcome.CANCELLED}


def refund_event(
    refund: PaystackRefund, *, source: str, request: RefundRequest | None = None
) -> RefundEvent:
    """Our event for a refund Paystack answered or listed; its id and status make the event
    id (asking twice applies once)."""
    outcome = _REFUND_OUTCOMES.get(refund.status, Outcome.PENDING)
    amount = refund.amount or (request.amount if request is not None else None)
    if amount is None:
        raise GatewayUnavailable("Paystack's refund had no usable amount.")
    reason = ""
    if outcome is Outcome.CANCELLED:
        reason = "Paystack could not process the refund."
    elif outcome is Outcome.PENDING:
        reason = f"Paystack reports the refund as {refund.status or 'pending'}."
    return RefundEvent(
        gateway=GATEWAY_NAME,
        event_id=f"{source}:{refund.id}:{refund.status}",
        refund_id=refund.id,
        outcome=outcome,
        amount=amount,
        transaction_id=refund.transaction_id,
        payment_reference=refund.transaction_reference
        or (request.payment_reference if request is not None else ""),
        refund_reference=refund.refund_reference
        or (request.refund_reference if request is not None else ""),
        reason=reason,
        attention=NEEDS_ATTENTION if refund.status == "needs-attention" else "",
        summary={
            "refund_id": refund.id,
            "status": refund.status,
            "transaction_id": refund.transaction_id,
            "amount": str(amount),
            "merchant_note": refund.merchant_note,
        },
    )
