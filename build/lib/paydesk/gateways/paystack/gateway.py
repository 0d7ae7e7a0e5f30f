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
from paydesk.gateways.base import CheckoutRequest, CheckoutResult, GatewayEvent, Outcome
from paydesk.gateways.paystack.client import (
    CURRENCIES,
    DISPLAY_NAME,
    PaystackAuthFailed,
    PaystackClient,
    PaystackDuplicateReference,
    PaystackNotFound,
    PaystackTransaction,
)
from paydesk.gateways.paystack.webhooks import GATEWAY_NAME
from paydesk.gateways.signing import fee_from

NOT_PAID_YET = "Not paid at Paystack yet."
CUSTOMER_CANCELLED = "Abandoned at Paystack: the customer cancelled the payment."


class PaystackGateway:
    """Paystack's hosted checkout; Paydesk's payment reference is the transaction reference."""

    name = GATEWAY_NAME
    display_name = DISPLAY_NAME
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
        return transaction_event(
            transaction, source="query", gateway_reference=gateway_reference
        )

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
