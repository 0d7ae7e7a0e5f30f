"""Which payment an event is about (bound only through identifiers Paydesk set or the gateway's
server returned), what that payment was expected to charge, and what its money credits."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from paydesk.checkout.models import MethodConfig, Quote
from paydesk.checkout.quotes import multiply_exact
from paydesk.gateways.base import GatewayEvent
from paydesk.ledger.models import Payment
from paydesk.money import Money, currency_exponent, format_money, round_half_up


@dataclass(frozen=True, slots=True)
class Binding:
    """The payment an event is bound to (locked), or why it is bound to none."""

    payment: Payment | None
    refusal: str = ""


def bound_payment(event: GatewayEvent) -> Binding:
    """The payment this event is about, locked, found only through what Paydesk set or the
    gateway's server returned (GatewayEvent's docstring): the gateway's own reference first,
    then our reference. When both are given they must agree, and a payment that already has a
    gateway reference is never reached by an event naming another one."""
    payments = (
        Payment.objects.select_for_update(of=("self",))
        .select_related("customer")
        .filter(gateway=event.gateway)
    )
    theirs, ours = event.gateway_reference, event.payment_reference
    if theirs:
        found = payments.filter(gateway_reference=theirs).first()
        if found is not None:
            if ours and ours != found.reference:
                return Binding(
                    None,
                    (
                        f"Refused: the event names payment {ours[:40]}, but {theirs[:60]} is "
                        f"{found.reference}'s."
                    ),
                )
            return Binding(found)
    if not ours:
        return Binding(None, "No payment of this gateway has that reference.")
    found = payments.filter(reference=ours).first()
    if found is None:
        return Binding(None, "No payment of this gateway has that reference.")
    if theirs and found.gateway_reference and found.gateway_reference != theirs:
        return Binding(
            None,
            (
                f"Refused: the event's {theirs[:60]} is not {found.reference}'s "
                f"({found.gateway_reference})."
            ),
        )
    return Binding(found)


def expected_charge(payment: Payment) -> Money:
    quote = Quote.objects.filter(payment=payment).first()
    if quote is not None:
        return Money(quote.total_charged, quote.currency)
    if payment.paid_amount is not None and payment.paid_currency:
        return Money(payment.paid_amount, payment.paid_currency)
    return Money(payment.total, payment.customer.currency)


def online_description(method_name: str, charged: Money, instrument: str = "") -> str:
    """An online payment's description, set by the server: "Credit Card $51.54 USD" at the
    start, "Credit Card Visa •••• 4242, $51.54 USD" once the gateway's server named the card."""
    amount = format_money(charged.amount, charged.currency)
    return f"{method_name} {instrument}, {amount}" if instrument else f"{method_name} {amount}"


def fee_in_account_currency(payment: Payment, fee: Decimal) -> Decimal:
    rate = Decimal(payment.fx_rate) if payment.fx_rate else Decimal(1)
    return round_half_up(multiply_exact(fee, rate), currency_exponent(payment.customer.currency))


def credit_for(
    payment: Payment, event: GatewayEvent, quoted: Decimal | None = None
) -> tuple[Decimal, Decimal | None, str]:
    """What a payment confirmed by `event` credits, the gateway's fee in the account currency,
    and why nothing can be credited ('' when it can): the quoted credit (`quoted`, else the
    pending payment's total), less the gateway's fee when the method is set to deduct it."""
    quoted = payment.total if quoted is None else quoted
    if not event.fee:
        return quoted, None, ""
    fee = fee_in_account_currency(payment, event.fee)
    config = MethodConfig.objects.filter(method=payment.method).first()
    if config is None or not config.deduct_gateway_fee:
        return quoted, fee, ""
    credit = quoted - fee
    if credit <= 0:
        return quoted, fee, f"The gateway's fee {event.fee} leaves nothing to credit."
    return credit, fee, ""
