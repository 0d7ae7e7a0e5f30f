"""Make Payment's writes: build and lock quotes, start a checkout, apply a gateway's event.

Money moves only through paydesk.ledger.services, in the same transaction as the change that
causes it. A gateway is only called with data and only answers with data; this module is what
saves. It never trusts an amount from a browser: every rule is checked again here.

Decisions (docs/checkout.md):
- The surcharge is what the customer pays the provider for using the method: it is charged on top
  of the amount and never credited. Credit = amount converted to the account currency.
- The customer's minimum payment (account currency, inclusive) applies to that credit; a method's
  minimum and maximum (its `amounts_currency`) apply to the amount paid, before the surcharge.
- A locked quote's credit is honoured whatever the rate does later, as long as the gateway
  confirms the quoted total and currency.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Context, Decimal, localcontext
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from paydesk.accounts.models import Customer, PaymentMethod, PortalDefaults, StaffRole
from paydesk.audit.services import audit_record
from paydesk.banktransfers.selectors import bank_details_current
from paydesk.banktransfers.services import BANK_DETAILS_FIELDS
from paydesk.checkout.models import (
    EventResult,
    LogChannel,
    LogDirection,
    MethodConfig,
    PaymentLogEntry,
    Quote,
)
from paydesk.checkout.selectors import AvailableMethod, method_available_for
from paydesk.errors import (
    AmountMismatch,
    CardDetailsMissing,
    GatewayError,
    GatewayUnavailable,
    InvalidAmount,
    InvalidCurrency,
    MethodUnavailable,
    PaydeskError,
    PaymentError,
    PermissionDenied,
    RateUnavailable,
)
from paydesk.fx.selectors import Rate, rate_for
from paydesk.gateways.base import (
    CheckoutRequest,
    CheckoutResult,
    GatewayEvent,
    OnlineGateway,
    Outcome,
)
from paydesk.gateways.http import Exchange, public_url
from paydesk.gateways.registry import gateway_for
from paydesk.ledger.access import payment_cancellable_by
from paydesk.ledger.models import Payment, PaymentRelation, PaymentStatus
from paydesk.ledger.services import (
    PaidDetails,
    payment_cancel,
    payment_complete,
    payment_create,
    payment_pending_note,
)
from paydesk.money import (
    Money,
    currency_exponent,
    decimal_places,
    format_money,
    normalize_currency,
    plain_amount,
    round_half_up,
    to_decimal,
)
from paydesk.notifications.services import (
    notify_bank_transfer_instructions,
    notify_payment_completed,
)

logger = logging.getLogger(__name__)
IDEMPOTENCY_KEY_MAX = 64
# The return URL's parameter a gateway's Cancel adds (cancel_url); only checkout_cancel passes
# it on to the gateway's adapter.
CANCELLED_PARAMETER = "cancelled"


@dataclass(frozen=True, slots=True)
class QuoteTerms:
    """A quote before it is locked: what is charged (in `currency`) and credited (account)."""

    method: str
    amount: Decimal
    currency: str
    surcharge: Decimal
    total_charged: Decimal
    credit: Decimal
    account_currency: str
    rate: Rate

    def as_json(self) -> dict[str, Any]:
        """Money as plain strings and as display text; never a float."""
        return {
            "method": self.method,
            "currency": self.currency,
            "account_currency": self.account_currency,
            "amount": plain_amount(self.amount, self.currency),
            "surcharge": plain_amount(self.surcharge, self.currency),
            "total_charged": plain_amount(self.total_charged, self.currency),
            "credit": plain_amount(self.credit, self.account_currency),
            "fx_rate": str(self.rate.rate),
            "rate_date": self.rate.rate_date.isoformat(),
            "display": {
                "amount": format_money(self.amount, self.currency),
                "surcharge": format_money(self.surcharge, self.currency),
                "total_charged": format_money(self.total_charged, self.currency),
                "credit": format_money(self.credit, self.account_currency),
                "fx_rate": self.rate_text if self.currency != self.account_currency else "",
            },
        }

    @property
    def rate_text(self) -> str:
        return (
            f"1 {self.currency} = {self.rate.rate} {self.account_currency} "
            f"({self.rate.source}, {self.rate.rate_date.isoformat()})"
        )


@dataclass(frozen=True, slots=True)
class Checkout:
    """A started checkout: the locked quote, its payment, and what the gateway said (None when
    this was a resubmission of a checkout already started, or when the gateway gave no usable
    answer). `problem` is the message for the customer when the gateway failed or refused."""

    quote: Quote
    payment: Payment
    result: CheckoutResult | None
    replayed: bool = False
    problem: str = ""

    @property
    def redirect_url(self) -> str:
        """Where the customer must go now to pay ('' when nowhere: wait, or look at the result)."""
        if self.payment.status != PaymentStatus.PENDING:
            return ""
        if self.result is not None and self.result.redirect_url:
            return self.result.redirect_url
        return self.quote.gateway_url


def _multiply(a: Decimal, b: Decimal) -> Decimal:
    with localcontext(Context(prec=50)):
        return a * b


def _checked_amount(value: object, currency: str) -> Decimal:
    amount = to_decimal(value, field="amount")
    if amount <= 0:
        raise InvalidAmount("Enter an amount above zero.", field="amount")
    places = currency_exponent(currency)
    if decimal_places(amount) > places:
        allowed = "no decimal places" if places == 0 else f"at most {places} decimal places"
        raise InvalidAmount(f"{currency} amounts have {allowed}.", field="amount")
    return amount


def _checked_currency(
    *, customer: Customer, value: object, method: AvailableMethod, on: date | None
) -> str:
    code = normalize_currency(str(value or ""))
    if code in method.currencies:
        return code
    allowed_by_customer = code in customer.effective_topup_currencies()
    accepted = {c.upper() for c in method.config.currencies or []}
    if allowed_by_customer and (not accepted or code in accepted):
        if rate_for(base=code, quote=customer.currency, on=on) is None:
            raise RateUnavailable(
                f"{code} cannot be used today: there is no current exchange rate to "
                f"{customer.currency}.",
                field="currency",
            )
    raise InvalidCurrency(
        f"{method.display_name} cannot be paid in {code} on this account. "
        f"Choose {', '.join(method.currencies)}.",
        field="currency",
    )


def _amounts_rate(config: MethodConfig, currency: str, on: date | None) -> Decimal:
    """How many `currency` one unit of the method's amounts_currency is worth today."""
    if config.amounts_currency == currency:
        return Decimal(1)
    rate = rate_for(base=config.amounts_currency, quote=currency, on=on)
    if rate is None:
        raise RateUnavailable(
            f"{currency} cannot be used today: there is no current exchange rate from "
            f"{config.amounts_currency}.",
            field="currency",
        )
    return rate.rate


def quote_build(
    *, customer: Customer, method: str, amount: object, currency: object, on: date | None = None
) -> QuoteTerms:
    """What paying `amount` `currency` by `method` charges and credits today; validates every rule.

    Raises a PaydeskError whose `field` is method, amount or currency. Writes nothing.
    """
    available = method_available_for(customer=customer, method=method, on=on)
    if not available.takes_amount:
        raise MethodUnavailable(f"{available.display_name} takes no amount.", field="method")
    code = _checked_currency(customer=customer, value=currency, method=available, on=on)
    paid = _checked_amount(amount, code)
    exponent = currency_exponent(code)
    rate = rate_for(base=code, quote=customer.currency, on=on)
    if rate is None:  # _checked_currency saw one a moment ago; a rate may be edited meanwhile
        raise RateUnavailable(f"{code} cannot be used today.", field="currency")
    credit = round_half_up(_multiply(paid, rate.rate), currency_exponent(customer.currency))
    if credit <= 0:
        raise InvalidAmount("That amount is too small to credit anything.", field="amount")
    if credit < customer.minimum_payment:
        raise InvalidAmount(
            f"Your minimum payment is {format_money(customer.minimum_payment, customer.currency)}.",
            field="amount",
        )
    config = available.config
    factor = _amounts_rate(config, code, on) if (
        config.surcharge_fixed or config.minimum_amount or config.maximum_amount
    ) else Decimal(1)
    if config.minimum_amount:
        smallest = round_half_up(_multiply(config.minimum_amount, factor), exponent)
        if paid < smallest:
            raise InvalidAmount(
                f"The smallest {available.display_name} payment is {format_money(smallest, code)}.",
                field="amount",
            )
    if config.maximum_amount:
        largest = round_half_up(_multiply(config.maximum_amount, factor), exponent)
        if paid > largest:
            raise InvalidAmount(
                f"The largest {available.display_name} payment is {format_money(largest, code)}.",
                field="amount",
            )
    with localcontext(Context(prec=50)):
        exact_surcharge = config.surcharge_fixed * factor + paid * config.surcharge_percent / 100
    surcharge = round_half_up(exact_surcharge, exponent)  # rounded once, to the minor unit
    # The gateway's own amount rules (PayPal: whole HUF; Razorpay, Stripe: KWD in tens of
    # fils…), said next to the amount now rather than as a refusal after Pay.
    refusal = getattr(gateway_for(method), "amount_refusal", None)
    problem = refusal(Money(paid + surcharge, code)) if refusal is not None else ""
    if problem:
        raise InvalidAmount(problem, field="amount")
    return QuoteTerms(
        method=method,
        amount=paid,
        currency=code,
        surcharge=surcharge,
        total_charged=paid + surcharge,
        credit=credit,
        account_currency=customer.currency,
        rate=rate,
    )


def _check_payer(*, user: Any, customer: Customer) -> None:
    if not getattr(user, "pk", None) or not user.is_active:
        raise PermissionDenied("Sign in to make a payment.")
    if user.customer_id != customer.pk:
        raise PermissionDenied("You can make payments only for your own account.")
    if not user.can_make_payments:
        raise PermissionDenied("Your user may view payments but not make them.")


def _checked_key(key: str) -> str:
    key = (key or "").strip()
    if not 16 <= len(key) <= IDEMPOTENCY_KEY_MAX or not key.replace("-", "").replace(
        "_", ""
    ).isalnum() or not key.isascii():
        raise PaydeskError("This form has expired: reload the page and try again.")
    return key


def quote_lock(
    *, terms: QuoteTerms, customer: Customer, user: Any, idempotency_key: str,
    now: datetime | None = None,
) -> Quote:
    """Store the quote the customer accepted by pressing Pay; it holds PAYDESK_QUOTE_MINUTES.

    IntegrityError when this customer already locked a quote with that key (a resubmission).
    """
    now = now or timezone.now()
    return Quote.objects.create(
        customer=customer,
        created_by=user if getattr(user, "pk", None) else None,
        method=terms.method,
        idempotency_key=idempotency_key,
        amount=terms.amount,
        currency=terms.currency,
        surcharge=terms.surcharge,
        total_charged=terms.total_charged,
        credit=terms.credit,
        account_currency=terms.account_currency,
        fx_rate=str(terms.rate.rate),
        rate_date=terms.rate.rate_date,
        rate_source=terms.rate.source,
        created_at=now,
        locked_at=now,
        expires_at=now + timedelta(minutes=settings.PAYDESK_QUOTE_MINUTES),
    )


def _started(*, customer: Customer, key: str) -> Checkout | None:
    quote = (
        Quote.objects.select_related("payment")
        .filter(customer=customer, idempotency_key=key, payment__isnull=False)
        .first()
    )
    if quote is None:
        return None
    return Checkout(quote=quote, payment=quote.payment, result=None, replayed=True)


def checkout_start(
    *,
    customer: Customer,
    user: Any,
    method: str,
    amount: object,
    currency: object,
    idempotency_key: str,
    on: date | None = None,
    payment_method_token: str = "",
) -> Checkout:
    """Lock the quote, create its pending payment and start the gateway's checkout.

    The form's one-time token is the idempotency key: the same form sent twice, or eight times at
    once, starts one checkout; every resubmission gets that checkout back (`replayed`).
    The gateway is called after the payment is committed and outside any transaction. A gateway
    that gives no usable answer leaves the payment pending with the reason (reconciliation asks
    again later); one that refuses for good cancels it with the reason; an outcome known at once
    (a card charged or declined) is applied like a webhook.
    """
    _check_payer(user=user, customer=customer)
    key = _checked_key(idempotency_key)
    existing = _started(customer=customer, key=key)
    if existing is not None:
        return existing
    if method == PaymentMethod.VOUCHER:
        raise MethodUnavailable("A voucher is redeemed, not paid.", field="method")
    terms = quote_build(customer=customer, method=method, amount=amount, currency=currency, on=on)
    gateway = gateway_for(method)
    if "card_number" in gateway.fields and not payment_method_token.strip():
        # The card fields are the processor's: without their payment-method id there is
        # nothing to charge, so no payment is made.
        raise CardDetailsMissing(
            "Enter your card in the card fields: no card reached the processor.",
            field="payment_method",
        )
    try:
        with transaction.atomic():
            quote = quote_lock(terms=terms, customer=customer, user=user, idempotency_key=key)
            charged = format_money(terms.total_charged, terms.currency)
            payment = payment_create(
                customer=customer,
                total=terms.credit,
                description=f"{gateway.display_name} {charged}",
                method=method,
                status=PaymentStatus.PENDING,
                actor=user,
                gateway=gateway.name,
                idempotency_key=f"checkout:{key}",
                paid=PaidDetails(
                    amount=terms.total_charged,
                    currency=terms.currency,
                    fx_rate=str(terms.rate.rate),
                    surcharge=terms.surcharge,
                ),
            )
            quote.payment = payment
            quote.save(update_fields=["payment"])
            if method == PaymentMethod.BANK_TRANSFER:
                _email_transfer_instructions(payment=payment, terms=terms)
    except IntegrityError:
        existing = _started(customer=customer, key=key)
        if existing is None:
            raise
        return existing
    # Called after commit: an online gateway's HTTP call must never hold a database transaction.
    return_url = public_url(reverse("checkout:return", args=[payment.reference]))
    request = CheckoutRequest(
        payment_reference=payment.reference,
        amount=Money(terms.total_charged, terms.currency),
        customer_email=user.email,
        description=payment.description,
        idempotency_key=f"checkout:{key}",
        expires_at=quote.expires_at,
        return_url=return_url,
        cancel_url=f"{return_url}?{CANCELLED_PARAMETER}=1",
        payment_method_token=payment_method_token,
    )
    try:
        result = gateway.start_checkout(request)
    except GatewayUnavailable as error:
        reason = (
            f"{error.message} Nothing is credited until {gateway.display_name} confirms the "
            "payment; Paydesk will ask again."
        )
        payment_pending_note(payment=payment, reason=reason)
        payment.refresh_from_db()
        return Checkout(quote=quote, payment=payment, result=None, problem=reason)
    except GatewayError as error:
        payment = payment_cancel(
            payment=payment, reason=f"{gateway.display_name} refused: {error.message}"
        )
        return Checkout(quote=quote, payment=payment, result=None, problem=payment.cancel_reason)
    return _checkout_started(quote=quote, payment=payment, result=result)


def _checkout_started(*, quote: Quote, payment: Payment, result: CheckoutResult) -> Checkout:
    if result.gateway_reference not in ("", payment.reference, payment.gateway_reference):
        payment_pending_note(payment=payment, gateway_reference=result.gateway_reference)
    if result.redirect_url:
        Quote.objects.filter(pk=quote.pk).update(gateway_url=result.redirect_url[:2000])
        quote.gateway_url = result.redirect_url[:2000]
    problem = ""
    if result.event is not None:
        try:
            gateway_event_apply(event=result.event, channel=LogChannel.CHECKOUT)
        except (AmountMismatch, GatewayError) as error:
            problem = error.message
    payment.refresh_from_db()
    if payment.status == PaymentStatus.CANCELLED:
        problem = payment.cancel_reason
    return Checkout(quote=quote, payment=payment, result=result, problem=problem)


# --- gateway events ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class EventApplied:
    """What applying one event did (`entry.result`); `duplicate` when it had been seen before."""

    entry: PaymentLogEntry
    payment: Payment | None
    duplicate: bool = False


def _email_transfer_instructions(*, payment: Payment, terms: Any) -> None:
    """Queue the bank details and reference to the customer (sent after commit)."""
    details = bank_details_current()
    if details is None:
        logger.warning("No payment details set: transfer %s was not emailed.", payment.reference)
        return
    notify_bank_transfer_instructions(
        payment=payment,
        bank_details={name: getattr(details, name) for name in BANK_DETAILS_FIELDS},
        amount=terms.total_charged,
        currency=terms.currency,
    )


def _log(event: GatewayEvent, channel: str, **fields: Any) -> PaymentLogEntry:
    return PaymentLogEntry.objects.create(
        gateway=event.gateway,
        channel=channel,
        event_id=event.event_id[:200],
        signature_valid=event.signature_valid,
        outcome=str(event.outcome),
        summary=dict(event.summary),
        **fields,
    )


def _finish(entry: PaymentLogEntry, result: str, detail: str, payment: Payment | None) -> None:
    entry.result, entry.detail, entry.payment = result, detail[:500], payment
    entry.save(update_fields=["result", "detail", "payment"])


@dataclass(frozen=True, slots=True)
class _Binding:
    """The payment an event is bound to (locked), or why it is bound to none."""

    payment: Payment | None
    refusal: str = ""


def _bound_payment(event: GatewayEvent) -> _Binding:
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
                return _Binding(None, (
                    f"Refused: the event names payment {ours[:40]}, but {theirs[:60]} is "
                    f"{found.reference}'s."
                ))
            return _Binding(found)
    if not ours:
        return _Binding(None, "No payment of this gateway has that reference.")
    found = payments.filter(reference=ours).first()
    if found is None:
        return _Binding(None, "No payment of this gateway has that reference.")
    if theirs and found.gateway_reference and found.gateway_reference != theirs:
        return _Binding(None, (
            f"Refused: the event's {theirs[:60]} is not {found.reference}'s "
            f"({found.gateway_reference})."
        ))
    return _Binding(found)


def _expected_charge(payment: Payment) -> Money:
    quote = Quote.objects.filter(payment=payment).first()
    if quote is not None:
        return Money(quote.total_charged, quote.currency)
    if payment.paid_amount is not None and payment.paid_currency:
        return Money(payment.paid_amount, payment.paid_currency)
    return Money(payment.total, payment.customer.currency)


def _fee_in_account_currency(payment: Payment, fee: Decimal) -> Decimal:
    rate = Decimal(payment.fx_rate) if payment.fx_rate else Decimal(1)
    return round_half_up(_multiply(fee, rate), currency_exponent(payment.customer.currency))


def gateway_event_apply(
    *, event: GatewayEvent, channel: str = LogChannel.WEBHOOK, cancelled_by: Any = None
) -> EventApplied:
    """Apply one verified gateway event to its payment, at most once, in one transaction.

    Logs it (a replay of a logged event id is a no-op), locks the payment, skips a payment
    already final, checks amount and currency against the locked quote, then completes (credit
    = the quoted credit, whatever the rate does) or cancels it. A forged event, an unknown payment
    or a mismatched amount is logged, changes nothing, and raises GatewayError/AmountMismatch
    after the log entry is committed. `cancelled_by`: the portal user whose Cancel the gateway
    confirmed (checkout_cancel); a cancellation is recorded and audited as theirs.
    """
    refusal: PaydeskError | None = None
    with transaction.atomic():
        if not event.signature_valid:
            entry = _log(
                event, channel, result=EventResult.REFUSED, detail="Signature not valid."
            )
            applied = EventApplied(entry=entry, payment=None)
            refusal = GatewayError("The notification's signature is not valid.")
        else:
            try:
                with transaction.atomic():
                    entry = _log(event, channel, result=EventResult.IGNORED)
            except IntegrityError:
                seen = PaymentLogEntry.objects.get(
                    gateway=event.gateway,
                    event_id=event.event_id[:200],
                    signature_valid=True,
                    direction=LogDirection.RECEIVED,
                )
                return EventApplied(entry=seen, payment=seen.payment, duplicate=True)
            applied, refusal = _apply(event, entry, cancelled_by=cancelled_by)
    if refusal is not None:
        raise refusal
    return applied


def gateway_notification_refuse(
    *, gateway: str, event_id: str, detail: str, signature_valid: bool = False
) -> PaymentLogEntry:
    """Log a notification refused before it could be read as an event (a bad signature, an
    unreadable body): `refused`, linked to no payment, never its body.

    A signed but unreadable notification keeps its id unique: a redelivery finds that entry.
    """
    fields = {
        "gateway": gateway[:20],
        "event_id": event_id[:200],
        "signature_valid": signature_valid,
        "outcome": "",
        "result": EventResult.REFUSED,
        "detail": detail[:500],
    }
    if not signature_valid:
        return PaymentLogEntry.objects.create(**fields)
    try:
        with transaction.atomic():
            return PaymentLogEntry.objects.create(**fields)
    except IntegrityError:
        return PaymentLogEntry.objects.get(
            gateway=fields["gateway"],
            event_id=fields["event_id"],
            signature_valid=True,
            direction=LogDirection.RECEIVED,
        )


def _apply(
    event: GatewayEvent, entry: PaymentLogEntry, *, cancelled_by: Any = None
) -> tuple[EventApplied, PaydeskError | None]:
    binding = _bound_payment(event)
    payment = binding.payment
    if payment is None:
        _finish(entry, EventResult.REFUSED, binding.refusal, None)
        if binding.refusal.startswith("Refused"):
            logger.warning("%s event %s: %s", event.gateway, event.event_id, binding.refusal)
            return EventApplied(entry, None), GatewayError(binding.refusal)
        return EventApplied(entry, None), GatewayError("The event names no known payment.")
    if payment.status == PaymentStatus.CANCELLED and event.outcome is Outcome.COMPLETED:
        return _late_payment(event, entry, payment)
    if payment.is_final:
        detail = f"Payment already {payment.status}."
        if payment.status == PaymentStatus.CANCELLED and event.outcome is Outcome.PENDING:
            detail += " Money the gateway confirms later is credited as a late payment."
        _finish(entry, EventResult.IGNORED, detail, payment)
        return EventApplied(entry, payment), None
    if event.gateway_reference and not payment.gateway_reference:
        # The gateway's id, kept before the payment turns final (a webhook can settle it before
        # the checkout's own answer is back, and a final payment is never updated again).
        try:
            with transaction.atomic():
                payment_pending_note(payment=payment, gateway_reference=event.gateway_reference)
        except IntegrityError:
            logger.warning("Payment %s: gateway reference %s belongs to another payment.",
                           payment.reference, event.gateway_reference)
    if event.outcome is Outcome.PENDING:
        if event.attention:
            logger.warning("Payment %s needs staff attention: %s", payment.reference,
                           event.attention)
            payment_pending_note(payment=payment, reason=event.attention, needs_attention=True)
        elif event.reason:
            payment_pending_note(payment=payment, reason=event.reason)
        detail = f"Needs staff attention: {event.attention}" if event.attention else (
            "Still pending at the gateway."
        )
        _finish(entry, EventResult.IGNORED, detail, payment)
        return EventApplied(entry, payment), None
    if event.outcome is Outcome.CANCELLED:
        reason = event.reason or "Cancelled at the gateway."
        payment = payment_cancel(payment=payment, reason=reason, actor=cancelled_by)
        _finish(entry, EventResult.APPLIED, f"Cancelled: {reason}", payment)
        return EventApplied(entry, payment), None
    expected = _expected_charge(payment)
    if event.amount is None or event.amount != expected:
        reported = "nothing" if event.amount is None else str(event.amount)
        detail = f"Amount mismatch: expected {expected}, gateway reported {reported}."
        _finish(entry, EventResult.REFUSED, detail, payment)
        return EventApplied(entry, payment), AmountMismatch(detail)
    credit, fee, problem = _credit_for(payment, event)
    if problem:
        _finish(entry, EventResult.REFUSED, problem, payment)
        return EventApplied(entry, payment), AmountMismatch(problem)
    try:
        payment = payment_complete(
            payment=payment, total=credit, fee=fee, gateway_transaction=event.transaction_id
        )
    except IntegrityError:
        detail = (
            f"Refused: {event.gateway} transaction {event.transaction_id[:60]} already credited "
            "another payment."
        )
        logger.warning("Payment %s: %s", payment.reference, detail)
        _finish(entry, EventResult.REFUSED, detail, payment)
        return EventApplied(entry, payment), GatewayError(detail)
    notify_payment_completed(payment=payment)
    _finish(entry, EventResult.APPLIED, f"Completed: {payment.total} credited.", payment)
    return EventApplied(entry, payment), None


def _credit_for(payment: Payment, event: GatewayEvent) -> tuple[Decimal, Decimal | None, str]:
    """What a payment confirmed by `event` credits, the gateway's fee in the account currency,
    and why nothing can be credited ('' when it can): the quoted credit, less the gateway's fee
    when the method is set to deduct it."""
    if not event.fee:
        return payment.total, None, ""
    fee = _fee_in_account_currency(payment, event.fee)
    config = MethodConfig.objects.filter(method=payment.method).first()
    if config is None or not config.deduct_gateway_fee:
        return payment.total, fee, ""
    credit = payment.total - fee
    if credit <= 0:
        return payment.total, fee, f"The gateway's fee {event.fee} leaves nothing to credit."
    return credit, fee, ""


LATE_KEY_PREFIX = "late:"


def _late_payment(
    event: GatewayEvent, entry: PaymentLogEntry, original: Payment
) -> tuple[EventApplied, PaydeskError | None]:
    """The gateway took money for a payment Paydesk had already cancelled (a late authorisation,
    a second payment on an expired invoice, an intent that succeeded after it was abandoned).

    The cancelled payment stays as it is (final); the money becomes a new payment linked to it,
    at most once per gateway transaction (the database's unique gateway transaction): Completed
    with the quoted credit when the gateway took exactly what was quoted, else Pending and
    flagged for Finance, who completes it with what was received. Audited, and emailed.
    """
    transaction_id = event.transaction_id or event.gateway_reference or event.event_id
    earlier = Payment.objects.filter(
        gateway=original.gateway, gateway_transaction=transaction_id[:100]
    ).first()
    if earlier is not None:
        _finish(entry, EventResult.IGNORED, f"Already recorded as {earlier.reference}.", earlier)
        return EventApplied(entry, earlier), None
    expected = _expected_charge(original)
    matches = event.amount is not None and event.amount == expected
    credit, fee, problem = _credit_for(original, event) if matches else (
        original.total, None, ""
    )
    reported = "an amount it did not say" if event.amount is None else str(event.amount)
    attention = problem or (
        "" if matches else
        f"Late payment: the gateway reported {reported}, the quote was {expected}. "
        "Complete it with the amount actually received, or cancel it."
    )
    paid = None
    if original.paid_amount is not None and original.paid_currency:
        paid = PaidDetails(
            amount=original.paid_amount,
            currency=original.paid_currency,
            fx_rate=original.fx_rate or "1",
            surcharge=original.surcharge or Decimal(0),
        )
    try:
        with transaction.atomic():
            late = payment_create(
                customer=original.customer,
                total=credit,
                description=f"Late payment for {original.reference}",
                method=original.method,
                status=PaymentStatus.PENDING if attention else PaymentStatus.COMPLETED,
                fee=fee,
                gateway=original.gateway,
                gateway_transaction=transaction_id,
                idempotency_key=f"{LATE_KEY_PREFIX}{original.gateway}:{transaction_id}"[:100],
                original=original,
                relation=PaymentRelation.LATE_PAYMENT,
                paid=paid,
            )
            if attention:
                payment_pending_note(payment=late, reason=attention, needs_attention=True)
                late.refresh_from_db()
            audit_record(
                action="payment.late",
                obj=late,
                customer_id=original.customer_id,
                after={
                    "reference": late.reference,
                    "original": original.reference,
                    "status": late.status,
                    "total": str(late.total),
                    "gateway": event.gateway,
                    "gateway_transaction": transaction_id,
                    "event_id": event.event_id,
                },
            )
    except (IntegrityError, PaymentError):
        # The same transaction recorded meanwhile (or for another payment: never credited twice).
        late = Payment.objects.filter(
            gateway=original.gateway, gateway_transaction=transaction_id[:100]
        ).first()
        detail = f"Already recorded as {late.reference}." if late else (
            "Refused: that gateway transaction is already recorded."
        )
        _finish(entry, EventResult.IGNORED if late else EventResult.REFUSED, detail, late)
        return EventApplied(entry, late), None
    logger.warning(
        "Payment %s was cancelled, but %s confirmed money for it: late payment %s (%s).",
        original.reference, event.gateway, late.reference, late.status,
    )
    if late.status == PaymentStatus.COMPLETED:
        notify_payment_completed(payment=late)
        detail = (
            f"Late payment for {original.reference}: {late.total} credited as {late.reference}."
        )
    else:
        detail = f"Late payment for {original.reference} recorded as {late.reference}: {attention}"
    _finish(entry, EventResult.APPLIED, detail, late)
    return EventApplied(entry, late), None


# --- talking to online gateways -----------------------------------------------------------


def gateway_exchange_record(exchange: Exchange) -> PaymentLogEntry:
    """The payment log's line for one request Paydesk made to a gateway (the recorder named by
    PAYDESK_GATEWAY_RECORDER). Its own transaction: a rolled-back caller still leaves it."""
    payment = None
    if exchange.payment_reference:
        payment = Payment.objects.filter(reference=exchange.payment_reference).first()
    if exchange.error:
        result, outcome = EventResult.FAILED, "error"
    elif exchange.status is not None and exchange.status >= 400:
        result, outcome = EventResult.SENT, "refused"
    else:
        result, outcome = EventResult.SENT, "ok"
    summary = {
        **{f"request.{k}": v for k, v in exchange.request_summary.items()},
        **{f"response.{k}": v for k, v in exchange.response_summary.items()},
    }
    if exchange.idempotency_key:
        summary["idempotency_key"] = exchange.idempotency_key
    return PaymentLogEntry.objects.create(
        gateway=exchange.gateway[:20],
        direction=LogDirection.SENT,
        channel=LogChannel.API,
        event_id=f"{exchange.method} {exchange.path}"[:200],
        payment=payment,
        signature_valid=None,
        http_status=exchange.status,
        duration_ms=exchange.duration_ms,
        outcome=outcome,
        result=result,
        detail=exchange.error[:500],
        summary=summary,
    )


def online_gateway_for(payment: Payment) -> OnlineGateway | None:
    """The online gateway of a payment made through one, else None (bank transfer, manual)."""
    if not payment.gateway:
        return None
    try:
        gateway = gateway_for(payment.method)
    except GatewayError:
        return None
    return gateway if isinstance(gateway, OnlineGateway) else None


@dataclass(frozen=True, slots=True)
class GatewayAnswer:
    """What asking a gateway about one payment gave: the payment as it is now, the gateway's
    event (None when it had nothing to say or gave no usable answer), and why not."""

    payment: Payment
    event: GatewayEvent | None
    unavailable: bool = False
    refused: str = ""


def _ask_gateway(
    payment: Payment, ask: Any, *, channel: str, unavailable: str, cancelled_by: Any = None
) -> GatewayAnswer:
    """Ask the gateway about `payment` (`ask()` → GatewayEvent | None) and apply its answer;
    a gateway without a usable answer leaves the payment pending with the reason."""
    try:
        event = ask()
    except GatewayUnavailable as error:
        payment_pending_note(payment=payment, reason=f"{error.message} {unavailable}")
        payment.refresh_from_db()
        return GatewayAnswer(payment=payment, event=None, unavailable=True)
    except GatewayError as error:
        logger.warning("Payment %s: the gateway refused: %s", payment.reference, error.message)
        with transaction.atomic():
            payment_pending_note(payment=payment, reason=error.message)
            # In the payment log too, beside the notifications: what was refused, and why (a
            # return whose checkout signature names another order, a payment we never made).
            PaymentLogEntry.objects.create(
                gateway=payment.gateway[:20],
                channel=channel,
                event_id=f"{channel}:{payment.reference}:refused"[:200],
                payment=payment,
                signature_valid=None,
                outcome="",
                result=EventResult.REFUSED,
                detail=error.message[:500],
            )
        payment.refresh_from_db()
        return GatewayAnswer(payment=payment, event=None, refused=error.message)
    if event is not None:
        try:
            gateway_event_apply(event=event, channel=channel, cancelled_by=cancelled_by)
        except (AmountMismatch, GatewayError) as error:
            logger.warning("Payment %s: %s", payment.reference, error.message)
    payment.refresh_from_db()
    return GatewayAnswer(payment=payment, event=event)


def checkout_return(*, payment: Payment, params: dict[str, str]) -> Payment:
    """The customer came back from the gateway: ask the gateway (never the URL) where the payment
    stands and apply the answer; the payment as it is now. A cancelled payment is asked about
    too: money the gateway confirms now (a late authorisation, a 3-D Secure finished after the
    payment was abandoned) is credited as a late payment.

    The return URL's `cancelled` is never passed on: anyone can put it in a link, so only
    checkout_cancel (a POST by a user allowed to cancel) tells the gateway the customer
    cancelled."""
    params = {key: value for key, value in params.items() if key != CANCELLED_PARAMETER}
    gateway = online_gateway_for(payment)
    if gateway is None or payment.status == PaymentStatus.COMPLETED:
        return payment
    return _ask_gateway(
        payment,
        lambda: gateway.confirm_return(
            payment_reference=payment.reference,
            gateway_reference=payment.gateway_reference,
            params=params,
        ),
        channel=LogChannel.RETURN,
        unavailable="Paydesk will ask again shortly; nothing is credited until then.",
    ).payment


def checkout_cancel(*, payment: Payment, user: Any) -> Payment:
    """A portal user pressed Cancel for a pending online payment (the status page after leaving
    the gateway without paying, or Razorpay's page): ask the gateway, saying the customer
    cancelled. It is cancelled only when the gateway confirms nobody paid (an order never
    approved, a checkout closed, a transaction abandoned); money the gateway confirms is
    credited instead, and a gateway that keeps the invoice open (NOWPayments) leaves it pending
    with that reason. The cancellation is audited under the user ("payment.cancel").

    PermissionDenied unless the user made the payment, or may make payments and see it.
    """
    if not payment_cancellable_by(
        user=user, payment=payment, defaults=PortalDefaults.current()
    ):
        raise PermissionDenied("You do not have permission to cancel this payment.")
    gateway = online_gateway_for(payment)
    if gateway is None or payment.status != PaymentStatus.PENDING:
        return payment
    return _ask_gateway(
        payment,
        lambda: gateway.confirm_return(
            payment_reference=payment.reference,
            gateway_reference=payment.gateway_reference,
            params={CANCELLED_PARAMETER: "1"},
        ),
        channel=LogChannel.RETURN,
        unavailable="It could not be cancelled now: Paydesk will ask again shortly.",
        cancelled_by=user,
    ).payment


def _requery(payment: Payment, *, unavailable: str) -> GatewayAnswer:
    """Ask the payment's gateway where it stands (fetch_status) and apply the answer."""
    gateway = online_gateway_for(payment)
    if gateway is None:
        return GatewayAnswer(payment=payment, event=None)
    return _ask_gateway(
        payment,
        lambda: gateway.fetch_status(
            payment_reference=payment.reference, gateway_reference=payment.gateway_reference
        ),
        channel=LogChannel.RECONCILE,
        unavailable=unavailable,
    )


def payment_status_refresh(*, payment: Payment) -> GatewayAnswer:
    """Re-query one gateway payment (reconciliation, or staff asking now) and apply the answer."""
    if payment.is_final:
        return GatewayAnswer(payment=payment, event=None)
    return _requery(payment, unavailable="Reconciliation will ask again.")


def payment_late_check(*, payment: Payment) -> GatewayAnswer:
    """Ask the gateway again about a cancelled online payment (reconciliation's late watch):
    money it confirms now is credited once as a late payment linked to it; anything else
    changes nothing. A payment that never got a gateway reference is not asked."""
    if payment.status != PaymentStatus.CANCELLED or not payment.gateway_reference:
        return GatewayAnswer(payment=payment, event=None)
    return _requery(payment, unavailable="")


# --- method configuration (back office) ----------------------------------------------------

METHOD_CONFIG_FIELDS = (
    "display_name",
    "enabled",
    "mode",
    "currencies",
    "amounts_currency",
    "surcharge_fixed",
    "surcharge_percent",
    "minimum_amount",
    "maximum_amount",
    "deduct_gateway_fee",
)


def _config_snapshot(config: MethodConfig) -> dict[str, Any]:
    def text(value: Any) -> Any:
        return str(value) if isinstance(value, Decimal) else value

    return {name: text(getattr(config, name)) for name in METHOD_CONFIG_FIELDS}


def method_config_update(*, config: MethodConfig, actor: Any, **changes: Any) -> MethodConfig:
    """Change how a method is offered (Administrators only), audited with before and after."""
    if not (actor is not None and actor.is_staff and actor.has_role(StaffRole.ADMIN)):
        raise PermissionDenied("Only an Administrator can change payment methods.")
    unknown = set(changes) - set(METHOD_CONFIG_FIELDS)
    if unknown:
        raise PaydeskError(f"Unknown method settings: {sorted(unknown)}")
    minimum = changes.get("minimum_amount", config.minimum_amount)
    maximum = changes.get("maximum_amount", config.maximum_amount)
    if minimum is not None and maximum is not None and minimum > maximum:
        raise InvalidAmount("The maximum must not be below the minimum.", field="maximum_amount")
    with transaction.atomic():
        locked = MethodConfig.objects.select_for_update().get(pk=config.pk)
        before = _config_snapshot(locked)
        for name, value in changes.items():
            setattr(locked, name, value)
        locked.updated_at = timezone.now()
        locked.save()
        locked.refresh_from_db()  # amounts as stored (4 places), like `before`
        after = _config_snapshot(locked)
        if after != before:
            audit_record(
                action="method_config.update", actor=actor, obj=locked, before=before, after=after
            )
    return locked
