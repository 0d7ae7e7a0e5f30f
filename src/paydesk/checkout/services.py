"""Make Payment's writes: start a checkout, and ask a gateway where a payment stands.

Money moves only through paydesk.ledger.services, in the same transaction as the change that
causes it. A gateway is only called with data and only answers with data; what it says is
applied by paydesk.checkout.events (the one place an event moves money). It never trusts an
amount from a browser: every rule is checked again (quotes.py). Method settings:
method_settings.py.
"""

from __future__ import annotations

import dataclasses
import hashlib
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.urls import reverse

from paydesk.accounts.models import Customer, PaymentMethod, PortalDefaults
from paydesk.accounts.payers import payer_required
from paydesk.banktransfers.services import BANK_DETAILS_FIELDS
from paydesk.checkout.events import gateway_event_apply
from paydesk.checkout.events.binding import online_description
from paydesk.checkout.models import (
    EventResult,
    LogChannel,
    PaymentLogEntry,
    Quote,
)
from paydesk.checkout.quotes import quote_build, quote_new
from paydesk.checkout.saved import SAVED_TYPE_METHODS, saved_method_resolve
from paydesk.checkout.selectors import NOT_READ, STARTED, pay_reads
from paydesk.errors import (
    AmountMismatch,
    CardDetailsMissing,
    GatewayError,
    GatewayNotFound,
    GatewayRateLimited,
    GatewayUnavailable,
    InvalidTransition,
    MethodUnavailable,
    PaydeskError,
    PermissionDenied,
)
from paydesk.fastsql import first_row, row_insert
from paydesk.gateways.base import (
    CheckoutRequest,
    CheckoutResult,
    GatewayEvent,
    OnlineGateway,
)
from paydesk.gateways.http import public_url
from paydesk.gateways.registry import gateway_for
from paydesk.ledger.access import payment_cancellable_by
from paydesk.ledger.hooks import NEW_PAYMENT
from paydesk.ledger.models import Payment, PaymentStatus
from paydesk.ledger.services import (
    PaidDetails,
    payment_cancel,
    payment_create,
    payment_pending_note,
)
from paydesk.methods.services import (
    saved_method_charge_record,
    sepa_address_ensure,
    stripe_customer_id,
)
from paydesk.money import (
    Money,
)
from paydesk.notifications.services import (
    bank_transfer_instructions_selecting,
    notify_bank_transfer_instructions,
)

logger = logging.getLogger(__name__)
IDEMPOTENCY_KEY_MAX = 64
# How the reason of a payment cancelled because the processor rate limited it begins (`not_taken`).
NOT_TAKEN = "Not taken: "
# The return URL's parameter a gateway's Cancel adds (cancel_url); only checkout_cancel passes
# it on to the gateway's adapter.
CANCELLED_PARAMETER = "cancelled"


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
    # A bank transfer's: the bank details its instructions email quoted, or on a replay the
    # current ones (None: none are set).
    bank_details: Any = None
    # The portal defaults the checkout was decided by (what the caller shows with it).
    defaults: PortalDefaults | None = None

    @property
    def redirect_url(self) -> str:
        """Where the customer must go now to pay ('' when nowhere: wait, or look at the result)."""
        if self.payment.status != PaymentStatus.PENDING:
            return ""
        if self.result is not None and self.result.redirect_url:
            return self.result.redirect_url
        return self.quote.gateway_url


def _check_payer(*, user: Any, customer: Customer) -> None:
    payer_required(
        user=user,
        customer=customer,
        sign_in="Sign in to make a payment.",
        not_theirs="You can make payments only for your own account.",
    )


def _checked_key(key: str) -> str:
    key = (key or "").strip()
    if (
        not 16 <= len(key) <= IDEMPOTENCY_KEY_MAX
        or not key.replace("-", "").replace("_", "").isalnum()
        or not key.isascii()
    ):
        raise PaydeskError("This form has expired: reload the page and try again.")
    return key


def _started(*, customer: Customer, key: str) -> Checkout | None:
    # After a lost race on the key (pay_reads asks before every checkout).
    quote = first_row(Quote, STARTED, [customer.pk, key])
    if quote is None or quote.payment is None:  # (never: the WHERE asks for a payment)
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
    saved_method: str = "",
    again_if_not_taken: bool = False,
) -> Checkout:
    """Lock the quote, create its pending payment and start the gateway's checkout.

    The form's one-time token is the idempotency key: the same form sent twice, or eight times at
    once, starts one checkout; every resubmission gets that checkout back (`replayed`).
    The gateway is called after the payment is committed and outside any transaction. A gateway
    that gives no usable answer leaves the payment pending with the reason (reconciliation asks
    again later); one that refuses for good cancels it with the reason; one that rate limited
    the request (GatewayRateLimited: it did nothing) cancels it at once, audited, and raises
    GatewayRateLimited telling the customer to try again in a minute (a new form, a new key;
    the API's same key, see `again_if_not_taken`);
    an outcome known at once (a card charged or declined) is applied like a webhook. The
    checkout carries the portal defaults it was decided by (`defaults`), read with everything
    else it reads first in one statement (`pay_reads`).

    `again_if_not_taken` (the API, whose client retries a request with the same key): a key
    whose payment the processor did not take (`not_taken`) is not replayed; the request is a new
    attempt under the next key in line (`key_after_not_taken`), so a new quote, a new payment and
    a new processor idempotency key, and that attempt is what the same key finds from then on.
    The portal leaves it off: its page gives a new form, so a new key, after such an answer.
    """
    _check_payer(user=user, customer=customer)
    key = _checked_key(idempotency_key)
    named, reads = method, pay_reads(customer=customer, method=method, key=key)
    started = reads.started
    while again_if_not_taken and started is not None and not_taken(started.payment):
        key = key_after_not_taken(key)
        started = first_row(Quote, STARTED, [customer.pk, key])
    if started is not None and started.payment is not None:  # (the WHERE asks for a payment)
        return Checkout(
            quote=started,
            payment=started.payment,
            result=None,
            replayed=True,
            bank_details=reads.bank_details,
            defaults=reads.defaults,
        )
    if method == PaymentMethod.VOUCHER:
        raise MethodUnavailable("A voucher is redeemed, not paid.", field="method")
    # Asked of Stripe before anything is written: whose a saved method is, and what it is (a
    # SEPA mandate pays as SEPA Direct Debit, whatever method the client named).
    saved = saved_method_resolve(customer=customer, method=method, saved_method=saved_method)
    if saved is not None:
        method = SAVED_TYPE_METHODS[saved.type]
    terms = quote_build(
        customer=customer,
        method=method,
        amount=amount,
        currency=currency,
        on=on,
        defaults=reads.defaults,
        # A saved SEPA mandate pays as another method than the one named: read it then.
        config=reads.config if method == named else NOT_READ,
    )
    gateway = gateway_for(method)
    processor_customer, method_type = "", "card"
    if saved is not None:
        payment_method_token, method_type = saved.id, saved.type
        processor_customer = stripe_customer_id(customer=customer)
    if "card_number" in gateway.fields and not payment_method_token.strip():
        # The card fields are the processor's: without their payment-method id there is
        # nothing to charge, so no payment is made.
        raise CardDetailsMissing(
            "Enter your card in the card fields: no card reached the processor.",
            field="payment_method",
        )
    # The card the processor's server names for the browser's token ("Visa •••• 4242"), asked
    # before anything is written or any transaction is open; a saved SEPA mandate's last four.
    label = getattr(gateway, "payment_method_label", None)
    instrument = label(payment_method_token) if label and payment_method_token else ""
    if saved is not None:
        # The quote is accepted and Stripe named the method: a non-EEA SEPA mandate saved
        # without the address Stripe needs gets the Billing page's now, just before anything is
        # written and charged (never for a quote then refused).
        saved = sepa_address_ensure(customer=customer, method=saved, actor=user)
    details = None
    # A bank transfer's instructions email is written by the payment's own statement on
    # PostgreSQL (its outbox rows selecting the new payment: one round trip fewer, bench P5),
    # to the contacts `pay_reads` read with the settings.
    emailed: list[str] = []  # the references of the payments it was written with

    def instructions(new: Payment) -> list[tuple[str, list[Any]]]:
        written = bank_transfer_instructions_selecting(
            NEW_PAYMENT,
            payment=new,
            bank_details=_bank_details(reads.bank_details),
            amount=terms.total_charged,
            currency=terms.currency,
            contacts=reads.contacts or [],
        )
        if written is None:
            return []
        emailed.append(new.reference)
        return written

    writes_email = (
        method == PaymentMethod.BANK_TRANSFER
        and reads.bank_details is not None
        and reads.contacts is not None
    )
    # Inside the caller's transaction (the API's bank transfer: one transaction with its
    # idempotency record) no savepoint of its own: any error here rolls back the caller's whole
    # transaction, and the caller answers a lost race on the key (the API replays the record
    # the winner committed with its quote). Two round trips fewer per request, and two more
    # for the ledger's own savepoint (a lost race there ends the same way).
    nested = transaction.get_connection().in_atomic_block
    try:
        with transaction.atomic(savepoint=False):
            quote = quote_new(terms=terms, customer=customer, user=user, idempotency_key=key)
            charged = Money(terms.total_charged, terms.currency)
            payment = quote_payment_create(
                quote=quote,
                terms=terms,
                description=online_description(gateway.display_name, charged, instrument),
                actor=user,
                saved=saved,
                savepoint=not nested,
                written_with=instructions if writes_email else None,
            )
            if method == PaymentMethod.BANK_TRANSFER:
                details = _email_transfer_instructions(
                    payment=payment,
                    terms=terms,
                    details=reads.bank_details,
                    contacts=reads.contacts,
                    written=payment.reference in emailed,
                )
    except IntegrityError:
        if nested:  # the caller's transaction is broken: it cannot be read in any more
            raise
        existing = _started(customer=customer, key=key)
        if existing is None:
            raise
        return dataclasses.replace(existing, defaults=reads.defaults)
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
        processor_customer=processor_customer,
        payment_method_type=method_type,
    )
    try:
        result = gateway.start_checkout(request)
    except GatewayRateLimited as error:
        # The processor's rate limiter answered before the request was run: nothing was made
        # there, and nothing will be under this key unless the customer sends this very form
        # again. Only Stripe's client says so (GatewayRateLimited: Stripe documents its limiter
        # as running before its idempotency layer); another gateway's 429 is GatewayUnavailable,
        # below, as nothing it documents says the request was not run. Left pending it would
        # wait for reconciliation to abandon it; so it is cancelled now, saying why, and the
        # customer is asked to try again (a new form, a new key; the API's same key makes a new
        # attempt, `again_if_not_taken`).
        payment = payment_cancel_unsent(
            payment=payment, reason=f"{NOT_TAKEN}{error.message} Nothing was charged."
        )
        if payment.status == PaymentStatus.CANCELLED:
            raise GatewayRateLimited(processor_busy(method)) from error
        checkout = Checkout(quote=quote, payment=payment, result=None)  # settled meanwhile
    except GatewayUnavailable as error:
        reason = (
            f"{error.message} Nothing is credited until {gateway.display_name} confirms the "
            "payment; Paydesk will ask again."
        )
        payment_pending_note(payment=payment, reason=reason)
        payment.refresh_from_db()
        checkout = Checkout(quote=quote, payment=payment, result=None, problem=reason)
    except GatewayError as error:
        payment = payment_cancel(
            payment=payment, reason=f"{gateway.display_name} refused: {error.message}"
        )
        checkout = Checkout(
            quote=quote, payment=payment, result=None, problem=payment.cancel_reason
        )
    else:
        checkout = _checkout_started(quote=quote, payment=payment, result=result)
    return dataclasses.replace(checkout, bank_details=details, defaults=reads.defaults)


def not_taken(payment: Payment | None) -> bool:
    """Whether `payment` is an attempt the processor rate limited (it did nothing), cancelled
    by Paydesk at once as not taken, and nothing came of it since (no late payment follows it:
    were money reported for it after all, a new attempt could charge twice)."""
    return (
        payment is not None
        and payment.status == PaymentStatus.CANCELLED
        and payment.cancelled_by_id is None
        and not payment.gateway_reference
        and payment.cancel_reason.startswith(NOT_TAKEN)
        and not payment.follow_ups.exists()
    )


def key_after_not_taken(key: str) -> str:
    """The key of the attempt made after the one under `key` was not taken: derived from it, so
    the same request sent again finds that attempt again (never random)."""
    return "again-" + hashlib.sha256(f"{key}\nnot taken".encode()).hexdigest()[:40]


def processor_busy(method: str) -> str:
    """What the customer reads when the processor rate limited their payment (nothing done)."""
    processor = "card processor" if method == PaymentMethod.CARD else "payment processor"
    return (
        f"The {processor} is busy and did not take this payment: nothing was charged. "
        "Try again in a minute."
    )


def payment_cancel_unsent(*, payment: Payment, reason: str) -> Payment:
    """Cancel a pending payment its gateway was never asked to charge, or did nothing with
    (Paydesk's own cancel, audited, without a user); the payment as it is now. One a webhook
    settled meanwhile (Stripe's answer to an earlier attempt with the same key) is returned as
    it is: that outcome stands, and nothing is cancelled."""
    try:
        return payment_cancel(payment=payment, reason=reason, audited=True)
    except InvalidTransition:
        return Payment.objects.get(pk=payment.pk)


def quote_payment_create(
    *,
    quote: Quote,
    terms: Any,
    description: str,
    actor: Any,
    saved: Any = None,
    savepoint: bool = True,
    written_with: Callable[[Payment], list[tuple[str, list[Any]]]] | None = None,
) -> Payment:
    """The locked quote's pending payment (inside the caller's transaction): its method's
    gateway, the credit and what is charged, keyed by the quote's key; the saved method it is
    charged to recorded beside it. Make Payment and an off-session charge both make it here.
    A quote not stored yet (`quote_new`) is stored now, with its payment: its unique key and
    the payment's refuse a second one (IntegrityError) as `quote_lock` would. `savepoint`:
    payment_create's (False: the caller's transaction answers for an IntegrityError);
    `written_with`: payment_create's (the caller's rows written by the payment's statement)."""
    payment = payment_create(
        customer=quote.customer,
        total=terms.credit,
        description=description,
        method=terms.method,
        status=PaymentStatus.PENDING,
        actor=actor,
        gateway=gateway_for(terms.method).name,
        idempotency_key=f"checkout:{quote.idempotency_key}",
        paid=PaidDetails(
            amount=terms.total_charged,
            currency=terms.currency,
            fx_rate=str(terms.rate.rate),
            surcharge=terms.surcharge,
        ),
        savepoint=savepoint,
        written_with=written_with,
    )
    quote.payment = payment
    if quote.pk is None:
        row_insert(quote)
    else:
        quote.save(update_fields=["payment"])
    if saved is not None:
        saved_method_charge_record(payment=payment, method=saved)
    return payment


def _checkout_started(*, quote: Quote, payment: Payment, result: CheckoutResult) -> Checkout:
    noted = result.gateway_reference not in ("", payment.reference, payment.gateway_reference)
    if noted:
        payment_pending_note(payment=payment, gateway_reference=result.gateway_reference)
    if result.redirect_url:
        Quote.objects.filter(pk=quote.pk).update(gateway_url=result.redirect_url[:2000])
        quote.gateway_url = result.redirect_url[:2000]
    if not noted and result.event is None:  # the payment is as created (a bank transfer)
        return Checkout(quote=quote, payment=payment, result=result, problem="")
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


def _email_transfer_instructions(
    *, payment: Payment, terms: Any, details: Any, contacts: list[str] | None, written: bool
) -> Any:
    """Queue the bank details and reference to the customer (the worker sends them) unless
    the payment's statement `written` them; returns the details quoted (`details`, the current
    ones; None: none are set, nothing was queued). `contacts`: as `pay_reads` read them."""
    if details is None:
        logger.warning("No payment details set: transfer %s was not emailed.", payment.reference)
        return None
    if not written:
        notify_bank_transfer_instructions(
            payment=payment,
            bank_details=_bank_details(details),
            amount=terms.total_charged,
            currency=terms.currency,
            contacts=contacts,
        )
    return details


def _bank_details(details: Any) -> dict[str, str]:
    return {name: getattr(details, name) for name in BANK_DETAILS_FIELDS}


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
    # A refusal that is a search finding nothing (GatewayNotFound): it counts only for a payment
    # at least this old (reconciliation's abandonment); None for any other refusal.
    refused_counts_after: timedelta | None = None


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
        return GatewayAnswer(
            payment=payment,
            event=None,
            refused=error.message,
            refused_counts_after=(
                error.settles_after if isinstance(error, GatewayNotFound) else None
            ),
        )
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
    if not payment_cancellable_by(user=user, payment=payment, defaults=PortalDefaults.current()):
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
    """Re-query one gateway payment (reconciliation, or staff asking now) and apply the answer.
    A row that follows another (a refund, a late payment) is not a checkout: nothing to ask."""
    if payment.is_final or payment.relation:
        return GatewayAnswer(payment=payment, event=None)
    return _requery(payment, unavailable="Reconciliation will ask again.")


def payment_late_check(*, payment: Payment) -> GatewayAnswer:
    """Ask the gateway again about a cancelled online payment (reconciliation's late watch):
    money it confirms now is credited once as a late payment linked to it; anything else
    changes nothing. A payment that never got a gateway reference is not asked."""
    if payment.status != PaymentStatus.CANCELLED or not payment.gateway_reference:
        return GatewayAnswer(payment=payment, event=None)
    return _requery(payment, unavailable="")
