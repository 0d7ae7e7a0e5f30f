"""Charging a saved method while the customer is not there (an automatic top-up): the same path
as Make Payment's Pay — a quote in the account currency, locked; a pending payment; the gateway
called after commit, outside any transaction; its answer applied by checkout/events — with
`off_session` set and no user.

Safe to call again with the same key after anything went wrong, a process killed between the
gateway's charge and the credit included: the quote and the payment are found by the key, and
the gateway is asked again with the SAME Idempotency-Key, so Stripe answers the charge it already
made instead of making another one. Nothing here decides whether to charge (autotopup does).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.urls import reverse

from paydesk.accounts.models import Customer, PaymentMethod
from paydesk.checkout.events.binding import online_description
from paydesk.checkout.models import Quote
from paydesk.checkout.quotes import quote_build, quote_lock
from paydesk.checkout.saved import SAVED_TYPE_METHODS, saved_method_resolve
from paydesk.checkout.services import (
    _checkout_started,
    payment_cancel_unsent,
    payment_status_refresh,
    quote_payment_create,
)
from paydesk.errors import (
    GatewayError,
    GatewayRateLimited,
    GatewayUnavailable,
    NotFound,
    PaydeskError,
    PaymentError,
)
from paydesk.gateways.base import CheckoutRequest
from paydesk.gateways.http import public_url
from paydesk.gateways.registry import gateway_for
from paydesk.ledger.models import Payment
from paydesk.ledger.services import (
    payment_pending_note,
)
from paydesk.methods.services import SavedMethod, sepa_address_ensure, stripe_customer_id
from paydesk.money import Money, format_money

AUTHENTICATION_REQUIRED = "authentication_required"


@dataclass(frozen=True, slots=True)
class OffSessionCharge:
    """Where an off-session charge stands: its payment (pending, completed or cancelled), and
    whether the bank asked for the customer's authentication (nothing was charged then)."""

    payment: Payment
    needs_authentication: bool = False
    problem: str = ""


def off_session_charge(
    *,
    customer: Customer,
    saved_method: str,
    amount: object,
    key: str,
    description: str,
    most: Decimal | None = None,
) -> OffSessionCharge:
    """Charge `amount` (account currency) to the customer's saved Stripe method `saved_method`,
    off-session, once per `key` (16–64 characters, letters, digits, - and _). `most`: what the
    customer authorised to be charged (account currency): a quote whose method's surcharge
    would charge more is refused (PaymentError) before anything is written or sent.

    A PaydeskError (the quote's rules, a method no longer the customer's, a non-EEA SEPA
    mandate without the address Stripe needs) is raised before anything is written. Called
    again with the same key it carries on where the first call stopped; a payment already final
    is returned as it is, and one Stripe never answered about that cannot be charged any more
    (the same checks, made again) is cancelled with the reason, audited.
    """
    existing = _quote_of(customer=customer, key=key)
    if existing is None:
        saved, method = _saved(customer=customer, saved_method=saved_method)
        terms = quote_build(
            customer=customer, method=method, amount=amount, currency=customer.currency
        )
        if most is not None and terms.total_charged > most:
            raise PaymentError(
                f"With the payment method's surcharge this charge would be "
                f"{format_money(terms.total_charged, terms.currency)}, more than the "
                f"{format_money(most, customer.currency)} you authorised: nothing was charged.",
                field="amount",
            )
        # The quote accepted, a non-EEA SEPA mandate saved without its address gets the Billing
        # page's before anything is written (without one: refused, nothing written).
        saved = sepa_address_ensure(customer=customer, method=saved)
        charged = Money(terms.total_charged, terms.currency)
        quote: Quote | None
        try:
            with transaction.atomic():
                quote = quote_lock(terms=terms, customer=customer, user=None, idempotency_key=key)
                quote_payment_create(
                    quote=quote,
                    terms=terms,
                    description=online_description(description, charged),
                    actor=None,
                    saved=saved,
                )
        except IntegrityError:
            quote = _quote_of(customer=customer, key=key)
            if quote is None:
                raise
    else:
        quote = existing
    if quote.payment_id is None:  # as Payment.objects.get(pk=None) would
        raise Payment.DoesNotExist("That quote has no payment.")
    payment = Payment.objects.get(pk=quote.payment_id)
    if payment.is_final:
        return OffSessionCharge(payment=payment)
    if payment.gateway_reference:
        # Stripe answered before: ask it about the intent it named, as reconciliation would.
        answer = payment_status_refresh(payment=payment)
        return OffSessionCharge(payment=answer.payment)
    if existing is not None:  # charged again after a stop before Stripe answered
        checked = off_session_recheck(customer=customer, saved_method=saved_method, payment=payment)
        if isinstance(checked, OffSessionCharge):
            return checked
        saved, method = checked
    return_url = public_url(reverse("checkout:return", args=[payment.reference]))
    request = CheckoutRequest(
        payment_reference=payment.reference,
        amount=Money(quote.total_charged, quote.currency),
        customer_email="",
        description=payment.description,
        idempotency_key=f"checkout:{key}",
        expires_at=quote.expires_at,
        return_url=return_url,
        cancel_url=return_url,
        payment_method_token=saved.id,
        processor_customer=stripe_customer_id(customer=customer),
        payment_method_type=saved.type,
        off_session=True,
    )
    gateway = gateway_for(method)
    try:
        result = gateway.start_checkout(request)
    except GatewayUnavailable as error:
        if isinstance(error, GatewayRateLimited):
            # Stripe's rate limiter answered before the charge was run: nothing was charged, and
            # the same Idempotency-Key is free. Left pending, the top-up's next run sends it.
            reason = problem = (
                f"{error.message} Nothing was charged: Paydesk will send the charge again."
            )
        else:
            reason, problem = f"{error.message} Paydesk will ask again.", error.message
        payment_pending_note(payment=payment, reason=reason)
        payment.refresh_from_db()
        return OffSessionCharge(payment=payment, problem=problem)
    except GatewayError as error:
        payment = payment_cancel_unsent(payment=payment, reason=f"Stripe refused: {error.message}")
        return OffSessionCharge(payment=payment, problem=payment.cancel_reason)
    started = _checkout_started(quote=quote, payment=payment, result=result)
    summary = result.event.summary if result.event is not None else {}
    needs_authentication = AUTHENTICATION_REQUIRED in (
        summary.get("error.code"),
        summary.get("error.decline_code"),
    ) or bool(result.redirect_url)
    return OffSessionCharge(
        payment=started.payment,
        needs_authentication=needs_authentication,
        problem=started.problem,
    )


def off_session_recheck(
    *, customer: Customer, saved_method: str, payment: Payment
) -> tuple[SavedMethod, str] | OffSessionCharge:
    """Before `payment`'s charge is sent again (a stop before Stripe answered), what the first
    call checked before writing it, checked again: the saved method to charge and the method it
    pays as, or where the charge stands when that is refused now. Refused (a mandate without
    the address Stripe needs, a method no longer the customer's), it cannot be charged and
    nothing else would settle it: cancelled, saying why, audited — unless a webhook settled it
    meanwhile (Stripe's answer to the first call), which is returned as it is. Stripe not
    answering raises GatewayUnavailable: the payment stays pending, asked again later."""
    try:
        saved, method = _saved(customer=customer, saved_method=saved_method)
        saved = sepa_address_ensure(customer=customer, method=saved)
    except GatewayUnavailable:
        raise
    except PaydeskError as error:
        payment = payment_cancel_unsent(payment=payment, reason=error.message)
        return OffSessionCharge(payment=payment, problem=payment.cancel_reason)
    return saved, method


def _saved(*, customer: Customer, saved_method: str) -> tuple[SavedMethod, str]:
    """The saved method Stripe says is THIS customer's (NotFound otherwise), and the method it
    pays as (a card as Credit Card, a SEPA mandate as SEPA Direct Debit)."""
    saved = saved_method_resolve(
        customer=customer, method=PaymentMethod.CARD, saved_method=saved_method
    )
    if saved is None:
        raise NotFound("No saved payment method to charge.", field="payment_method")
    return saved, SAVED_TYPE_METHODS[saved.type]


def _quote_of(*, customer: Customer, key: str) -> Quote | None:
    return Quote.objects.filter(
        customer=customer, idempotency_key=key, payment__isnull=False
    ).first()
