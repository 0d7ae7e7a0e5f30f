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

from django.db import IntegrityError, transaction
from django.urls import reverse

from paydesk.accounts.models import Customer, PaymentMethod
from paydesk.checkout.events.binding import online_description
from paydesk.checkout.models import Quote
from paydesk.checkout.quotes import quote_build, quote_lock
from paydesk.checkout.services import (
    _checkout_started,
    _own_saved_method,
    payment_status_refresh,
)
from paydesk.errors import GatewayError, GatewayUnavailable
from paydesk.gateways.base import CheckoutRequest
from paydesk.gateways.http import public_url
from paydesk.gateways.registry import gateway_for
from paydesk.ledger.models import Payment, PaymentStatus
from paydesk.ledger.services import (
    PaidDetails,
    payment_cancel,
    payment_create,
    payment_pending_note,
)
from paydesk.money import Money

AUTHENTICATION_REQUIRED = "authentication_required"


@dataclass(frozen=True, slots=True)
class OffSessionCharge:
    """Where an off-session charge stands: its payment (pending, completed or cancelled), and
    whether the bank asked for the customer's authentication (nothing was charged then)."""

    payment: Payment
    needs_authentication: bool = False
    problem: str = ""


def off_session_charge(
    *, customer: Customer, saved_method: str, amount: object, key: str, description: str
) -> OffSessionCharge:
    """Charge `amount` (account currency) to the customer's saved Stripe method `saved_method`,
    off-session, once per `key` (16–64 characters, letters, digits, - and _).

    A PaydeskError (the quote's rules, a method no longer the customer's) is raised before
    anything is written. Called again with the same key it carries on where the first call
    stopped; a payment already final is returned as it is.
    """
    existing = _quote_of(customer=customer, key=key)
    if existing is None:
        pm, processor_customer, method_type = _own_saved_method(
            customer=customer,
            method=PaymentMethod.CARD,
            saved_method=saved_method,
            currency=customer.currency,
        )
        terms = quote_build(
            customer=customer, method=PaymentMethod.CARD, amount=amount, currency=customer.currency
        )
        charged = Money(terms.total_charged, terms.currency)
        try:
            with transaction.atomic():
                quote = quote_lock(terms=terms, customer=customer, user=None, idempotency_key=key)
                payment = payment_create(
                    customer=customer,
                    total=terms.credit,
                    description=online_description(description, charged),
                    method=PaymentMethod.CARD,
                    status=PaymentStatus.PENDING,
                    gateway=gateway_for(PaymentMethod.CARD).name,
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
        except IntegrityError:
            quote = _quote_of(customer=customer, key=key)
            if quote is None:
                raise
    else:
        quote = existing
        pm, processor_customer, method_type = _own_saved_method(
            customer=customer,
            method=PaymentMethod.CARD,
            saved_method=saved_method,
            currency=customer.currency,
        )
    payment = Payment.objects.get(pk=quote.payment_id)
    if payment.is_final:
        return OffSessionCharge(payment=payment)
    if payment.gateway_reference:
        # Stripe answered before: ask it about the intent it named, as reconciliation would.
        answer = payment_status_refresh(payment=payment)
        return OffSessionCharge(payment=answer.payment)
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
        payment_method_token=pm,
        processor_customer=processor_customer,
        payment_method_type=method_type,
        off_session=True,
    )
    gateway = gateway_for(PaymentMethod.CARD)
    try:
        result = gateway.start_checkout(request)
    except GatewayUnavailable as error:
        payment_pending_note(payment=payment, reason=f"{error.message} Paydesk will ask again.")
        payment.refresh_from_db()
        return OffSessionCharge(payment=payment, problem=error.message)
    except GatewayError as error:
        payment = payment_cancel(payment=payment, reason=f"Stripe refused: {error.message}")
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


def _quote_of(*, customer: Customer, key: str) -> Quote | None:
    return Quote.objects.filter(
        customer=customer, idempotency_key=key, payment__isnull=False
    ).first()
