"""The NOWPayments adapter (spec §5): a hosted crypto invoice the customer is sent to.

- start_checkout: `POST /v1/invoice` for the quoted total; the invoice id is the payment's
  gateway reference; the customer goes to `invoice_url`.
- Payment statuses (gateways/nowpayments/webhooks.py): `finished` → completed; `failed`,
  `refunded`, `expired` → cancelled; `partially_paid` → pending, flagged for staff; the others
  pending (`waiting` may be abandoned; `confirming`, `confirmed`, `sending` are in flight).
- A `finished` IPN is confirmed by `GET /v1/payment/{payment_id}` before anything is credited
  (`notification_confirm`, called by the webhook endpoint): that answer decides.
- The return (`success_url` / `cancel_url` = /pay/return/<ref>/): NOWPayments adds `NP_id`
  (its payment id) to the success URL. That id is only a hint of which payment to ask about:
  the payment is fetched and must name our reference and our invoice. Without it, and for
  reconciliation, the invoice's payments are listed (`GET /v1/payment/?invoiceId=`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from paydesk.errors import GatewayError
from paydesk.gateways.base import CheckoutRequest, CheckoutResult, GatewayEvent, Outcome
from paydesk.gateways.http import public_url
from paydesk.gateways.nowpayments import client
from paydesk.gateways.nowpayments.webhooks import GATEWAY_NAME, nowpayments_payment_event
from paydesk.gateways.signing import text

# Which of an invoice's payments says most about it, best first.
_PRECEDENCE = (
    ("finished",),
    ("partially_paid",),
    ("sending", "confirmed", "confirming"),
    ("waiting",),
    ("refunded", "failed", "expired"),
)


def _status(payment: Mapping[str, Any]) -> str:
    return text(payment.get("payment_status"))


def _deciding(payments: Sequence[Mapping[str, Any]]) -> Mapping[str, Any] | None:
    """The payment of an invoice that decides its outcome: a finished one over everything, then
    one partially paid, one on its way, one waiting; the newest of those cancelled last."""
    for statuses in _PRECEDENCE:
        matching = [p for p in payments if _status(p) in statuses]
        if matching:
            return matching[-1]
    return None


def _belongs(payment: Mapping[str, Any], *, payment_reference: str, invoice_id: str) -> bool:
    """The payment is for our order (and our invoice, when we know it)."""
    if text(payment.get("order_id")) != payment_reference:
        return False
    invoice = text(payment.get("invoice_id"))
    return not (invoice_id and invoice and invoice != invoice_id)


def _event(payment: Mapping[str, Any], prefix: str) -> GatewayEvent:
    payment_id, status = text(payment.get("payment_id")), _status(payment)
    event = nowpayments_payment_event(payment, event_id=f"{prefix}{payment_id}:{status}")
    if event is None:
        raise GatewayError(f"NOWPayments reported an unknown payment status '{status[:40]}'.")
    return event


class NowPaymentsGateway:
    """NOWPayments hosted invoices; IPNs at /webhooks/nowpayments/."""

    name = GATEWAY_NAME
    display_name = client.DISPLAY_NAME
    # Pay's form may be redirected here (the invoice page): Make Payment's form-action.
    hosted_origins: tuple[str, ...] = ("https://nowpayments.io", "https://sandbox.nowpayments.io")
    needs_browser = True
    fields = ("amount", "currency")
    secret_settings = (
        "PAYDESK_NOWPAYMENTS_API_KEY",
        "PAYDESK_NOWPAYMENTS_IPN_SECRET",
        "PAYDESK_NOWPAYMENTS_EMAIL",
        "PAYDESK_NOWPAYMENTS_PASSWORD",
    )

    def supported_currencies(self) -> frozenset[str] | None:
        return None  # NOWPayments prices invoices in most fiat currencies; MethodConfig narrows

    def start_checkout(self, request: CheckoutRequest) -> CheckoutResult:
        invoice = client.invoice_create(
            amount=request.amount,
            order_id=request.payment_reference,
            description=request.description,
            ipn_callback_url=public_url("/webhooks/nowpayments/"),
            success_url=request.return_url,
            cancel_url=request.cancel_url,
            idempotency_key=request.idempotency_key,
        )
        return CheckoutResult(
            outcome=Outcome.PENDING,
            gateway_reference=str(invoice["id"]).strip(),
            redirect_url=str(invoice["invoice_url"]),
        )

    def notification_confirm(self, event: GatewayEvent) -> GatewayEvent:
        """A verified IPN, checked with NOWPayments before it may credit: a `finished` one is
        replaced by what `GET /v1/payment/{id}` says now (its status, amount and order); other
        statuses credit nothing and pass as they are. GatewayUnavailable: ask again later."""
        if event.outcome is not Outcome.COMPLETED:
            return event
        payment_id = event.summary.get("payment_id", "")
        payment = client.payment_get(payment_id, payment_reference=event.payment_reference)
        if text(payment.get("payment_id")) != payment_id or not _belongs(
            payment,
            payment_reference=event.payment_reference,
            invoice_id=event.gateway_reference,
        ):
            raise GatewayError(
                f"NOWPayments' payment {payment_id} is not the one the notification named."
            )
        return _event(payment, "")

    def confirm_return(
        self, *, payment_reference: str, gateway_reference: str, params: Mapping[str, str]
    ) -> GatewayEvent | None:
        hinted = params.get("NP_id", "").strip()
        if hinted.isdigit():
            payment = client.payment_get(hinted, payment_reference=payment_reference)
            if _belongs(payment, payment_reference=payment_reference, invoice_id=gateway_reference):
                return _event(payment, "return:")
        if not gateway_reference:
            return None
        deciding = _deciding(_invoice_payments(payment_reference, gateway_reference))
        if deciding is not None:
            return _event(deciding, "return:")
        if params.get("cancelled"):
            return GatewayEvent(
                gateway=GATEWAY_NAME,
                event_id=f"return:{gateway_reference}:left-unpaid",
                outcome=Outcome.PENDING,
                payment_reference=payment_reference,
                gateway_reference=gateway_reference,
                reason=(
                    "You left NOWPayments before paying. The invoice stays open for a while: "
                    "pay it from this page, or it is cancelled as abandoned."
                ),
            )
        return None

    def fetch_status(self, *, payment_reference: str, gateway_reference: str) -> GatewayEvent:
        if not gateway_reference:
            raise GatewayError(
                "NOWPayments never answered with an invoice for this payment, so it cannot "
                "have been paid there."
            )
        deciding = _deciding(_invoice_payments(payment_reference, gateway_reference))
        if deciding is not None:
            return _event(deciding, "query:")
        return GatewayEvent(
            gateway=GATEWAY_NAME,
            event_id=f"query:{gateway_reference}:no-payment",
            outcome=Outcome.PENDING,
            payment_reference=payment_reference,
            gateway_reference=gateway_reference,
            # Read by the customer on their payment's page as much as by Finance: no "the
            # customer" in it.
            reason="Waiting for the NOWPayments invoice to be paid.",
        )


def _invoice_payments(payment_reference: str, invoice_id: str) -> list[dict[str, Any]]:
    """The invoice's payments at NOWPayments that are really ours (order id and invoice id)."""
    return [
        p
        for p in client.invoice_payments(invoice_id, payment_reference=payment_reference)
        if _belongs(p, payment_reference=payment_reference, invoice_id=invoice_id)
    ]
