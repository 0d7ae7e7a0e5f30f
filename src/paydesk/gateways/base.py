"""The gateway boundary: typed, frozen data in and out, and the protocol every gateway follows.

Data in: CheckoutRequest (what to charge, for which payment). Data out: CheckoutResult (redirect
the customer, or the payment is pending/completed at the gateway). Events in: GatewayEvent (a
gateway's notification or status answer, already verified and parsed, secrets redacted).

Nothing here touches the database, a model or a float. Amounts cross the boundary as
paydesk.money.Money in whole minor units of their currency; minor-unit integers are made only at
the edge, inside a gateway's own client.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from types import MappingProxyType
from typing import Protocol, runtime_checkable

from paydesk.errors import GatewayError
from paydesk.money import Money, decimal_places

# Keys whose values never enter a GatewayEvent's summary (and so never the payment log).
REDACTED_KEYS = frozenset(
    {
        "card",
        "card_number",
        "number",
        "pan",
        "cvc",
        "cvv",
        "exp_month",
        "exp_year",
        "secret",
        "api_key",
        "key",
        "token",
        "password",
        "signature",
        "authorization",
        "code",
        "voucher",
        "voucher_code",
    }
)
# Any key containing one of these is redacted too (access_token, client_secret, x-api-key…).
REDACTED_FRAGMENTS = (
    "secret",
    "token",
    "password",
    "signature",
    "authorization",
    "api_key",
    "api-key",
    "cvc",
    "cvv",
    "card_number",
)
REDACTED = "[redacted]"
_DIGIT_RUN = re.compile(r"(?<!\d)(?:\d[ -]?){12,18}\d(?!\d)")


def luhn_valid(digits: str) -> bool:
    """Whether a run of digits passes the Luhn check card numbers carry."""
    total = 0
    for index, char in enumerate(reversed(digits)):
        value = int(char) * (2 if index % 2 else 1)
        total += value - 9 if value > 9 else value
    return total % 10 == 0


def mask_card_numbers(text: str) -> str:
    """`text` with every Luhn-valid run of 13–19 digits (a card number) replaced."""

    def mask(match: re.Match[str]) -> str:
        digits = re.sub(r"\D", "", match.group(0))
        return REDACTED if luhn_valid(digits) else match.group(0)

    return _DIGIT_RUN.sub(mask, text)


def is_secret_key(name: str) -> bool:
    lowered = name.lower()
    return lowered in REDACTED_KEYS or any(part in lowered for part in REDACTED_FRAGMENTS)


class Outcome(StrEnum):
    """Where a payment stands at the gateway."""

    COMPLETED = "completed"
    CANCELLED = "cancelled"
    PENDING = "pending"


def _whole_minor_units(money: Money, what: str) -> None:
    if money.amount <= 0:
        raise GatewayError(f"The {what} must be above zero.")
    if decimal_places(money.amount) > money.exponent:
        raise GatewayError(
            f"The {what} must be whole {money.currency} minor units "
            f"(at most {money.exponent} decimals)."
        )


@dataclass(frozen=True, slots=True)
class CheckoutRequest:
    """Charge `amount` for the pending payment `payment_reference`."""

    payment_reference: str
    amount: Money  # what the customer is charged: the quote's total, surcharge included
    customer_email: str
    description: str
    idempotency_key: str
    expires_at: datetime  # the locked quote's end: a gateway session should not outlive it
    return_url: str = ""  # where the gateway sends the customer back: /pay/return/<reference>/
    cancel_url: str = ""  # the same with ?cancelled=1
    # Card only: the processor's payment-method id (pm_…) that its hosted fields made in the
    # browser. Never a card number: Paydesk's server never receives one.
    payment_method_token: str = ""
    # A saved method: the processor's customer the payment method is attached to (Stripe's
    # cus_…), checked by Paydesk to be this customer's own before the checkout starts.
    processor_customer: str = ""
    # The processor's type of that payment method: card, or sepa_debit (a saved SEPA mandate).
    payment_method_type: str = "card"
    # A saved method charged while the customer is not there (an automatic top-up): the
    # processor must not ask them to authenticate (Stripe declines `authentication_required`).
    off_session: bool = False

    def __post_init__(self) -> None:
        if not self.payment_reference:
            raise GatewayError("A checkout needs the payment's reference.")
        _whole_minor_units(self.amount, "amount charged")


@dataclass(frozen=True, slots=True)
class CheckoutResult:
    """What starting a checkout gave: send the customer to `redirect_url`, or an outcome now.

    `outcome` PENDING with no redirect means "wait" (a bank transfer waits for the money).
    `event` is the gateway's own, server-side answer when the outcome is known at once (a card
    charged or declined while the customer waits): Paydesk applies it like a webhook.
    """

    outcome: Outcome
    gateway_reference: str = ""
    redirect_url: str = ""
    event: GatewayEvent | None = None

    def __post_init__(self) -> None:
        if self.redirect_url and self.outcome is not Outcome.PENDING:
            raise GatewayError("A redirect only makes sense for a payment still pending.")
        if self.event is not None and self.event.outcome is not self.outcome:
            raise GatewayError("A checkout's event must say what its outcome says.")


def redact(summary: Mapping[str, object]) -> Mapping[str, str]:
    """A read-only copy fit for the payment log: secrets and card data replaced, values as text."""
    clean: dict[str, str] = {}
    for key, value in summary.items():
        name = str(key)
        clean[name] = REDACTED if is_secret_key(name) else mask_card_numbers(str(value)[:500])
    return MappingProxyType(clean)


@dataclass(frozen=True, slots=True)
class GatewayEvent:
    """One notification or status answer from a gateway, parsed and verified by that gateway.

    `event_id` is the gateway's own id for the notification (a replay carries the same id).

    Binding (docs/gateways.md, "Binding an event to a payment"): the payment is found only by
    identifiers Paydesk set server-side or the gateway's server returned when Paydesk created
    the object: `gateway_reference` (theirs: the order, intent or invoice id Paydesk stored)
    and `payment_reference` (ours, only from a field our server set: metadata, custom_id,
    receipt, order_id — never from anything the payer's browser can set, such as Razorpay
    Checkout's notes). When both are given they must name the same payment.
    `transaction_id` is the gateway's id of the money movement itself (Razorpay payment,
    PayPal capture, Paystack transaction, NOWPayments payment, Stripe PaymentIntent): one
    transaction credits at most one payment.
    `amount` is what the gateway says was charged (surcharge included), `fee` its own fee.
    `attention` says why staff must look at a payment that stays pending (NOWPayments'
    partially paid); empty when nothing is asked of them. `partly_received` is what the gateway
    reported received of a partly paid payment (amount and currency as it wrote them, a crypto
    amount too: `("0.00010000", "BTC")`), so staff complete it with what arrived.
    `in_flight` says a pending payment's money is on its way at the gateway (processing,
    confirming): reconciliation never expires such a payment as abandoned. `bank_confirming`
    says the payer has authorised a bank debit (SEPA Direct Debit) and the banks are settling
    it: only the gateway can complete it now (it succeeds, or the bank returns it), never staff
    by hand. `instrument` names what paid as the
    gateway's server reports it, for the payment's description ("Visa •••• 4242"); never taken
    from the browser.
    """

    gateway: str
    event_id: str
    outcome: Outcome
    payment_reference: str = ""
    gateway_reference: str = ""
    transaction_id: str = ""
    amount: Money | None = None
    fee: Decimal | None = None
    reason: str = ""
    signature_valid: bool = True
    attention: str = ""
    partly_received: tuple[str, str] | None = None
    in_flight: bool = False
    summary: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    instrument: str = ""
    bank_confirming: bool = False

    def __post_init__(self) -> None:
        if not self.gateway or not self.event_id:
            raise GatewayError("A gateway event needs the gateway's name and its event id.")
        if not (self.payment_reference or self.gateway_reference):
            raise GatewayError("A gateway event must name the payment it is about.")
        object.__setattr__(self, "outcome", Outcome(self.outcome))
        object.__setattr__(self, "summary", redact(self.summary))
        if self.fee is not None and (not isinstance(self.fee, Decimal) or self.fee < 0):
            raise GatewayError("A gateway fee is an exact decimal of zero or more.")


def _check_named(gateway: str, event_id: str, *ids: str) -> None:
    if not gateway or not event_id:
        raise GatewayError("A gateway event needs the gateway's name and its event id.")
    if not any(ids):
        raise GatewayError("A gateway event must name the payment it is about.")


@dataclass(frozen=True, slots=True)
class RefundRequest:
    """Send `amount` back to the payer of a completed payment (its gateway's own ids).

    `refund_reference` is the Paydesk refund row's reference: the gateway is given it in a field
    Paydesk sets (metadata, notes, custom id) so that its notifications bind to that row, and
    `idempotency_key` (derived from it) so that a retry never refunds twice.
    """

    refund_reference: str
    payment_reference: str
    transaction_id: str  # the gateway's id of the money being refunded
    gateway_reference: str  # the gateway's object for the payment (order, intent, invoice)
    amount: Money  # in the currency the payer paid, surcharge included for a full refund
    reason: str
    idempotency_key: str

    def __post_init__(self) -> None:
        if not self.refund_reference or not (self.transaction_id or self.gateway_reference):
            raise GatewayError("A refund needs its reference and the gateway's id of the money.")
        _whole_minor_units(self.amount, "refund")


@dataclass(frozen=True, slots=True)
class RefundEvent:
    """A refund at the gateway: asked for by Paydesk, or made in the gateway's dashboard.

    `refund_id` is the gateway's id of the refund (one row per refund id). The refunded payment
    is found like a GatewayEvent's (only through what Paydesk set or the gateway's server
    returned): `transaction_id` (the gateway's id of the money refunded), `gateway_reference`
    (its object), `payment_reference` (ours, from a field our server set). `refund_reference`
    is our refund row's reference when the gateway echoes the field Paydesk set on it.
    `outcome`: PENDING (on its way), COMPLETED (sent back), CANCELLED (failed or declined).
    `amount` is what goes back, in the currency the payer paid. `attention` says why Finance
    must look at a refund that stays pending at the gateway (Paystack's `needs-attention`: it
    needs the customer's bank details); empty when nothing is asked of them.
    """

    gateway: str
    event_id: str
    refund_id: str
    outcome: Outcome
    amount: Money
    transaction_id: str = ""
    gateway_reference: str = ""
    payment_reference: str = ""
    refund_reference: str = ""
    reason: str = ""
    signature_valid: bool = True
    summary: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    attention: str = ""

    def __post_init__(self) -> None:
        _check_named(
            self.gateway,
            self.event_id,
            self.transaction_id,
            self.gateway_reference,
            self.payment_reference,
            self.refund_reference,
        )
        if not self.refund_id and not self.refund_reference:
            raise GatewayError("A refund event must name the refund.")
        object.__setattr__(self, "outcome", Outcome(self.outcome))
        object.__setattr__(self, "summary", redact(self.summary))
        if self.amount.amount <= 0:
            raise GatewayError("A refund's amount must be above zero.")


class DisputeStage(StrEnum):
    """What a dispute notification says happened."""

    OPENED = "opened"  # the payer disputed the payment (or an inquiry opened)
    UPDATED = "updated"  # evidence, a deadline or a status changed; no money moved
    FUNDS_WITHDRAWN = "funds_withdrawn"  # the gateway took the disputed money back
    FUNDS_REINSTATED = "funds_reinstated"  # the gateway gave it back
    WON = "won"  # closed in the provider's favour
    LOST = "lost"  # closed in the payer's favour: the money is gone
    CLOSED = "closed"  # closed otherwise (withdrawn by the payer, an inquiry that ended)


@dataclass(frozen=True, slots=True)
class DisputeEvent:
    """A dispute (chargeback) notification, bound to its payment like a RefundEvent.

    `dispute_id` is the gateway's id of the dispute; `amount` the disputed money in the paid
    currency (when the gateway says it); `evidence_due` the deadline to answer, if any.
    """

    gateway: str
    event_id: str
    dispute_id: str
    stage: DisputeStage
    amount: Money | None = None
    transaction_id: str = ""
    gateway_reference: str = ""
    payment_reference: str = ""
    reason: str = ""
    gateway_status: str = ""
    evidence_due: datetime | None = None
    signature_valid: bool = True
    summary: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))

    def __post_init__(self) -> None:
        _check_named(
            self.gateway,
            self.event_id,
            self.transaction_id,
            self.gateway_reference,
            self.payment_reference,
        )
        if not self.dispute_id:
            raise GatewayError("A dispute event must name the dispute.")
        object.__setattr__(self, "stage", DisputeStage(self.stage))
        object.__setattr__(self, "summary", redact(self.summary))
        if self.amount is not None and self.amount.amount <= 0:
            raise GatewayError("A disputed amount must be above zero.")


# Everything a gateway can tell Paydesk (a webhook's parser returns one of these, or None).
AnyGatewayEvent = GatewayEvent | RefundEvent | DisputeEvent


@runtime_checkable
class Gateway(Protocol):
    """What every gateway offers Paydesk (bank transfer and voucher offer just this)."""

    name: str  # the PaymentMethod value it serves, also Payment.gateway
    display_name: str
    needs_browser: bool  # the customer must visit the gateway's page to pay
    fields: tuple[str, ...]  # the Make Payment fields of this method, in order
    secret_settings: tuple[str, ...]  # environment variables it needs; never stored in the DB

    def supported_currencies(self) -> frozenset[str] | None:
        """The currencies the gateway can charge, or None when it takes any ISO 4217 code."""
        ...

    def start_checkout(self, request: CheckoutRequest) -> CheckoutResult:
        """Begin charging `request.amount`; never saves anything."""
        ...


@runtime_checkable
class OnlineGateway(Gateway, Protocol):
    """A gateway the customer pays at (card, PayPal, Razorpay, Paystack, NOWPayments).

    Every method asks the gateway itself, server-side: a return URL's parameters are a hint of
    which payment to look at, never proof that it was paid. Each may raise GatewayUnavailable
    (timed out, 5xx, unreadable answer: try later) or GatewayError (refused for good).
    Event ids they make are deterministic (`"return:<gateway ref>:<status>"`,
    `"query:<gateway ref>:<status>"`) so that asking twice logs and applies once.

    Optional: `amount_refusal(amount: Money) -> str` says why the gateway cannot charge an
    amount exactly ('' when it can); the quote shows it next to the amount field.
    `hosted_origins` names the origins Pay's form may be redirected to (form-action).
    """

    def confirm_return(
        self, *, payment_reference: str, gateway_reference: str, params: Mapping[str, str]
    ) -> GatewayEvent | None:
        """The customer came back (`params`: the return URL's query, or the form Razorpay's
        checkout posted). Verify with the gateway (PayPal: capture the approved order; Razorpay:
        check the checkout signature against the order id we stored) and say where the payment
        stands; None when there is nothing to say yet."""
        ...

    def fetch_status(self, *, payment_reference: str, gateway_reference: str) -> GatewayEvent:
        """Re-query one payment (reconciliation). `gateway_reference` may be empty when the
        checkout never got the gateway's answer; a gateway that cannot look a payment up by our
        reference then raises GatewayError."""
        ...


@runtime_checkable
class RefundingGateway(OnlineGateway, Protocol):
    """An online gateway with a refund API (Stripe, PayPal, Razorpay, Paystack; not NOWPayments,
    whose refunds Finance records as made outside the gateway).

    Optional: `refund_key_hours: int | None`, how long the gateway keeps a refund's idempotency
    key (documented), so that asking again with it cannot refund twice; None when `refund`
    itself looks the refund up by our reference before it makes one (a retry is safe at any
    age). A gateway that does not say is taken to keep it REFUND_KEY_HOURS (Stripe's 24, the
    shortest here). Past it Paydesk asks again only after `refund_find` (RefundFindingGateway)
    established that the gateway has no refund of ours.
    """

    def refund(self, request: RefundRequest) -> RefundEvent:
        """Ask the gateway to send `request.amount` back. Returns the gateway's answer as an event
        (PENDING, COMPLETED, or CANCELLED when it declined); GatewayUnavailable when it did not
        answer (safe to retry with the same idempotency key), GatewayError when refused for good
        before anything was created."""
        ...


@runtime_checkable
class RefundQueryingGateway(RefundingGateway, Protocol):
    """A refunding gateway that can say where one of its refunds stands now (its documented
    "retrieve a refund" endpoint), for reconciliation: a refund it acknowledged as pending whose
    final notification never came is asked about, never asked for again."""

    def refund_fetch(self, request: RefundRequest, *, refund_id: str) -> RefundEvent:
        """The refund `refund_id` (the gateway's id, made for `request`) as the gateway has it
        now: the same RefundEvent its refund answer gives (PENDING, COMPLETED or CANCELLED).
        GatewayUnavailable when it did not answer, GatewayError when it refused the question
        (no such refund): neither says anything about the refund itself."""
        ...


# How long a gateway that does not say is taken to keep a refund's idempotency key (hours).
REFUND_KEY_HOURS = 24


@runtime_checkable
class RefundFindingGateway(RefundingGateway, Protocol):
    """A refunding gateway that can look a refund up by what Paydesk set on it (its reference
    in metadata, notes or custom id), for a refund whose request got no answer and whose
    idempotency key may have expired: found, it is applied; established absent, asking again
    cannot refund twice; neither, Finance is asked to look."""

    def refund_find(self, request: RefundRequest) -> RefundEvent | None:
        """The gateway's refund made for `request` (found by our refund reference among the
        payment's refunds), as the same RefundEvent its refund answer gives; None when the
        gateway has none (every refund of the payment read). GatewayUnavailable when it did
        not answer, GatewayError when the answer cannot establish either (a list too long to
        read whole): neither says the refund is absent."""
        ...
