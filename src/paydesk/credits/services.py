"""Staff entering and completing payments under four eyes (spec §13): a manual completed credit
above the threshold (selectors.credit_threshold) is not credited when it is entered. It is
recorded pending, "awaiting approval", with a CreditApproval row, and is credited only when a
second Finance user (an Administrator counts as Finance) approves it; anyone in Finance may
refuse it, which cancels it with the reason. Below the threshold one person records it, as
before; purchases (negative totals) are never held — unless, with it, what the same person
credited by hand in that currency over the last 24 hours (selectors.CREDIT_WINDOW,
credited_by_hand_since: manual credits and completions of pending payments, whatever the
customers) would come to more than the threshold: then it is held the same way, with a reason
that says so. That sum is read holding the person's own user row lock (SELECT … FOR NO KEY
UPDATE), as voucher batches hold their issuer's, so two requests at once by one person cannot
both count without the other and slip under it.

The same rule covers completing a pending manual credit entered as pending: above the threshold
it is completed by someone other than the person who entered it, with the amount entered. And any
other pending payment (a card checkout, a late or flagged gateway payment) completed for MORE than
it expected, when that amount is above the threshold: the first Finance user's completion is
recorded as a request (a CreditApproval with `requested_total`, the payment still pending) and a
second one approves it, for the amount asked; refusing the request leaves the payment pending.
For the amount expected or less, one person completes it as before — unless it would take
their 24-hour total above the threshold: then it is a request the same way (one's own pending
manual credit is refused instead: a second person completes it). The
ideas are the bank transfers' two-person rule (paydesk.banktransfers.services.transfer_complete):
the payment row is locked for the whole decision, so two approvers at once credit once; a
refused approval is audited, then raised; the approver confirms the amount, never changes it.

The customer sees a held credit or a request as "awaiting approval by the provider" (the
payment's pending_reason: no amounts, no threshold, no staff); the detail is the CreditApproval's
`reason`, for staff. A refused request is kept as a RefusedCompletionRequest.

Money moves only through paydesk.ledger.services, in the same transaction as the decision.
Called by the back office's Add payment and Complete, the staff API, the ConnexCS endpoint and
the command line (with --as); the system itself (no acting user) is never held.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from paydesk.accounts.models import Customer, PaymentMethod, User
from paydesk.audit.services import audit_record
from paydesk.credits.errors import CreditApprovalRefused, CreditError
from paydesk.credits.models import CreditApproval, RefusedCompletionRequest
from paydesk.credits.selectors import (
    CREDIT_WINDOW,
    credit_threshold,
    credited_by_hand_since,
    needs_second_person,
)
from paydesk.errors import InvalidAmount, InvalidTransition, PermissionDenied
from paydesk.ledger.models import Payment, PaymentStatus
from paydesk.ledger.selectors import partly_received_words
from paydesk.ledger.services import (
    checked_total,
    payment_cancel,
    payment_complete,
    payment_create,
    payment_pending_note,
)
from paydesk.methods.in_transit import AWAITING_BANK_REFUSAL, is_awaiting_bank
from paydesk.money import format_money, plain_amount
from paydesk.notifications.services import notify_payment_completed, notify_payment_received

# What the customer reads on a held credit or a completion request (its pending_reason).
AWAITING_PROVIDER = "Awaiting approval by the provider."
# Why it waits, for staff (CreditApproval.reason).
AWAITING_APPROVAL = "Awaiting approval by a second Finance user."
# A partly paid gateway payment is never completed with the amount it expected (spec §3:
# "complete it with the amount actually received"): whoever completes it enters that amount.
PARTLY_PAID_REFUSAL = (
    "The gateway reported only {received} received for {reference}: enter the amount received "
    "in {currency}, at most the {expected} expected, to complete it."
)
AWAITING_APPROVAL_WINDOW = (
    "Awaiting approval by a second Finance user: with this one, what the same person credited "
    "by hand in {currency} in the last 24 hours comes to {total}, above the four-eyes threshold "
    "of {threshold}."
)
AWAITING_COMPLETION = (
    "Awaiting approval by a second Finance user: completing it for {asked}, more than the "
    "{expected} it expected, is above the four-eyes threshold of {threshold}."
)
AWAITING_UNCONFIRMED = (
    "Awaiting approval by a second Finance user: completing it by hand for {asked}, money its "
    "gateway never confirmed, is above the four-eyes threshold of {threshold}."
)
WINDOW_REFUSAL = (
    "With this one, what you credited by hand in {currency} in the last 24 hours would come to "
    "{total}, above the four-eyes threshold of {threshold}: a second Finance user must complete "
    "it."
)


def _is_staff(actor: Any) -> bool:
    return bool(getattr(actor, "pk", None) and getattr(actor, "is_staff", False))


def _require_finance(actor: Any, action: str) -> None:
    if not (_is_staff(actor) and actor.can_move_money):
        raise PermissionDenied(f"Only Finance can {action}.")


def is_held(payment: Payment) -> bool:
    """A pending manual credit waiting for its second person."""
    return (
        payment.status == PaymentStatus.PENDING
        and CreditApproval.objects.filter(payment_id=payment.pk).exists()
    )


def staff_payment_add(
    *,
    customer: Customer,
    total: object,
    description: str,
    actor: Any,
    status: str = PaymentStatus.COMPLETED,
    method: str = PaymentMethod.MANUAL,
    fee: object = None,
    allow_overdraft: bool = False,
    idempotency_key: str | None = None,
    email_confirmation: bool = False,
    cancel_reason: str = "",
) -> Payment:
    """Record a payment or purchase entered by staff; a completed manual credit above the
    threshold is held pending for a second Finance user (see the module's docstring).

    Returns the payment: completed, or pending with `is_held(payment)`. The caller sends the
    confirmation email of a completed payment; a held one keeps `email_confirmation` for the
    approval.
    """
    amount = checked_total(total)
    four_eyes = (
        status == PaymentStatus.COMPLETED
        and method == PaymentMethod.MANUAL
        and _is_staff(actor)
        and amount > 0
    )
    if idempotency_key is not None:
        earlier = Payment.objects.filter(customer=customer, idempotency_key=idempotency_key).first()
        if earlier is not None:
            return earlier
    with transaction.atomic():
        reason, window_total = "", None
        if four_eyes and needs_second_person(total=amount, currency=customer.currency):
            reason = AWAITING_APPROVAL
        elif four_eyes:
            window_total = _window_total(actor=actor, currency=customer.currency, amount=amount)
            if needs_second_person(total=window_total, currency=customer.currency):
                reason = _window_words(AWAITING_APPROVAL_WINDOW, window_total, customer.currency)
        held = bool(reason)
        payment = payment_create(
            customer=customer,
            total=amount,
            description=description,
            method=method,
            status=PaymentStatus.PENDING if held else status,
            actor=actor,
            fee=fee,
            allow_overdraft=allow_overdraft,
            idempotency_key=idempotency_key,
            cancel_reason=cancel_reason,
        )
        if not held or payment.created_by_id != actor.pk or payment.status != PaymentStatus.PENDING:
            return payment
        threshold = credit_threshold(customer.currency)
        try:
            with transaction.atomic():
                CreditApproval.objects.create(
                    payment=payment,
                    requested_by=actor,
                    threshold=threshold,
                    email_confirmation=email_confirmation,
                    reason=reason,
                )
        except IntegrityError:  # the twin request with this idempotency key held it first
            return payment
        payment_pending_note(payment=payment, reason=AWAITING_PROVIDER, needs_attention=True)
        payment.refresh_from_db()
        after = {
            "reference": payment.reference,
            "total": plain_amount(amount, customer.currency),
            "currency": customer.currency,
            "threshold": plain_amount(threshold, customer.currency),
            "email_confirmation": email_confirmation,
        }
        if window_total is not None:
            after["window_total"] = plain_amount(window_total, customer.currency)
        audit_record(
            action="credit.hold", actor=actor, obj=payment, customer_id=customer.pk, after=after
        )
    return payment


def _window_total(*, actor: Any, currency: str, amount: Decimal) -> Decimal:
    """`amount` plus what `actor` alone credited by hand in `currency` over the last 24 hours,
    read holding the actor's own user row lock (until the caller's transaction ends): a
    concurrent credit or completion by the same person waits here, and then counts the one
    this transaction records."""
    # FOR NO KEY UPDATE: it queues behind another holder's, but not against the FOR KEY SHARE
    # that a concurrent INSERT or UPDATE naming the user (created_by, an audit entry) takes.
    User.objects.select_for_update(no_key=True).filter(pk=actor.pk).values_list("pk").get()
    since = timezone.now() - CREDIT_WINDOW
    return amount + credited_by_hand_since(user_id=actor.pk, currency=currency, since=since)


def _window_words(words: str, window_total: Decimal, currency: str) -> str:
    return words.format(
        currency=currency,
        total=format_money(window_total, currency),
        threshold=format_money(credit_threshold(currency), currency),
    )


def staff_payment_complete(
    *,
    payment: Payment | int,
    actor: Any,
    total: object = None,
    allow_overdraft: bool = False,
) -> Payment:
    """Staff complete a pending payment (not a bank transfer: transfer_complete has its own
    rule). A held credit, or a manual credit above the threshold, is completed only by someone
    other than the person who entered it, with the amount entered; so is one's own pending
    manual credit that would take one's 24-hour window above the threshold.

    Another pending top-up completed for more than it expected above the threshold, a gateway's
    completed by hand above it, or any completion that would take the actor's 24-hour window
    above it, is not completed: the request is recorded and the payment returned still pending
    (`is_held`); a second Finance user completes it (here or credit_approve) for the amount
    asked."""
    _require_finance(actor, "complete a payment")
    pk = payment.pk if isinstance(payment, Payment) else payment
    refusal: tuple[str, str | None] | None = None
    with transaction.atomic():
        locked = (
            Payment.objects.select_for_update(of=("self",)).select_related("customer").get(pk=pk)
        )
        if locked.status != PaymentStatus.PENDING:
            raise InvalidTransition(
                f"Payment {locked.reference} is {locked.get_status_display().lower()}: "
                f"only a pending payment can be completed."
            )
        if is_awaiting_bank(locked):
            raise InvalidTransition(AWAITING_BANK_REFUSAL.format(reference=locked.reference))
        if locked.partly_paid and (total in (None, "") or checked_total(total) > locked.total):
            raise InvalidAmount(
                PARTLY_PAID_REFUSAL.format(
                    reference=locked.reference,
                    received=partly_received_words(locked),
                    currency=locked.customer.currency,
                    expected=format_money(locked.total, locked.customer.currency),
                ),
                field="total",
            )
        approval = (
            CreditApproval.objects.filter(payment=locked).select_related("requested_by").first()
        )
        # What the second person confirms: the amount a completion request asked, else the
        # amount entered.
        asked = approval.requested_total if approval is not None else None
        agreed = locked.total if asked is None else asked
        amount = agreed if total in (None, "") else checked_total(total)
        currency = locked.customer.currency
        manual = locked.method == PaymentMethod.MANUAL
        if approval is None and not manual and _needs_request(locked, amount):
            return _request_completion(locked=locked, actor=actor, amount=amount)
        four_eyes = approval is not None or (
            manual and needs_second_person(total=amount, currency=currency)
        )
        if not four_eyes and amount > 0 and locked.method != PaymentMethod.BANK_TRANSFER:
            # Whatever one completes by hand, someone else's entry included, counts in one's
            # window, as entering it completed does (a bank transfer has its own rule).
            window_total = _window_total(actor=actor, currency=currency, amount=amount)
            beyond = needs_second_person(total=window_total, currency=currency)
            if beyond and not (manual and locked.created_by_id == actor.pk):
                return _request_completion(
                    locked=locked, actor=actor, amount=amount, window_total=window_total
                )
            if beyond:  # one's own entry: someone else completes it, as entered
                refusal = (_window_words(WINDOW_REFUSAL, window_total, currency), None)
                four_eyes = True
        if not four_eyes:
            done = payment_complete(
                payment=locked.pk, actor=actor, total=total, allow_overdraft=allow_overdraft
            )
            notify_payment_completed(payment=done)
            return done
        entered_by = approval.requested_by_id if approval is not None else locked.created_by_id
        if refusal is None and entered_by == actor.pk and asked is not None:
            refusal = (
                f"You asked to complete {locked.reference} for "
                f"{format_money(asked, currency)}: a second Finance user must approve it.",
                None,
            )
        elif refusal is None and entered_by == actor.pk:
            refusal = (
                "Nobody approves a credit they entered: a second Finance user must approve it.",
                None,
            )
        elif refusal is None and amount != agreed and asked is not None:
            refusal = (
                f"Completing {locked.reference} for {format_money(asked, currency)} was asked: "
                f"it is approved as asked. If that is wrong, refuse the request and ask again.",
                "total",
            )
        elif refusal is None and amount != agreed:
            refusal = (
                f"A credit above the threshold is approved as entered "
                f"({format_money(locked.total, currency)}). If that is wrong, refuse it and "
                f"enter it again.",
                "total",
            )
        if refusal is None:
            return _approve(locked=locked, actor=actor, approval=approval)
    _refuse(payment=locked, actor=actor, message=refusal[0], field=refusal[1])
    raise AssertionError("unreachable")


def _needs_request(payment: Payment, amount: Decimal) -> bool:
    """Completing `payment` by hand for `amount` waits for a second person: above the
    threshold, when it credits more than it expected, or when it is money a gateway never
    confirmed (a card, PayPal… payment still pending), whatever it expected. A bank transfer
    has its own two-person rule (banktransfers.transfer_complete)."""
    if amount <= 0 or not needs_second_person(total=amount, currency=payment.customer.currency):
        return False
    return _beyond_expected(payment, amount) or _unconfirmed_gateway_money(payment)


def _beyond_expected(payment: Payment, amount: Decimal) -> bool:
    return 0 < payment.total < amount


def _unconfirmed_gateway_money(payment: Payment) -> bool:
    """A gateway's top-up (card, PayPal, Razorpay, Paystack, NOWPayments) staff complete by
    hand: no manual entry, no bank transfer."""
    return payment.method not in (PaymentMethod.MANUAL, PaymentMethod.BANK_TRANSFER)


def _request_completion(
    *, locked: Payment, actor: Any, amount: Decimal, window_total: Decimal | None = None
) -> Payment:
    """Record the first Finance user's completion of `locked` (for more than it expected, a
    gateway's money by hand, or beyond their 24-hour window: `window_total`) as a request for a
    second one (the payment stays pending, nothing is credited); returns it."""
    currency = locked.customer.currency
    threshold = credit_threshold(currency)
    if window_total is not None:
        reason = _window_words(AWAITING_APPROVAL_WINDOW, window_total, currency)
    else:
        words = AWAITING_COMPLETION if _beyond_expected(locked, amount) else AWAITING_UNCONFIRMED
        reason = words.format(
            asked=format_money(amount, currency),
            expected=format_money(locked.total, currency),
            threshold=format_money(threshold, currency),
        )
    CreditApproval.objects.create(
        payment=locked,
        requested_by=actor,
        threshold=threshold,
        requested_total=amount,
        reason_before=locked.pending_reason,
        attention_before=locked.needs_attention,
        reason=reason,
    )
    payment_pending_note(payment=locked.pk, reason=AWAITING_PROVIDER, needs_attention=True)
    after = {
        "reference": locked.reference,
        "total": plain_amount(amount, currency),
        "expected": plain_amount(locked.total, currency),
        "currency": currency,
        "threshold": plain_amount(threshold, currency),
        "method": locked.method,
    }
    if window_total is not None:
        after["window_total"] = plain_amount(window_total, currency)
    audit_record(
        action="credit.hold",
        actor=actor,
        obj=locked,
        customer_id=locked.customer_id,
        after=after,
    )
    locked.refresh_from_db()
    return locked


def _approve(*, locked: Payment, actor: Any, approval: CreditApproval | None) -> Payment:
    currency = locked.customer.currency
    asked = approval.requested_total if approval is not None else None
    if asked is None:
        payment_pending_note(payment=locked.pk, reason="", needs_attention=False)
    done = payment_complete(payment=locked.pk, actor=actor, total=asked)
    entered_by = approval.requested_by if approval is not None else locked.created_by
    after = {
        "reference": done.reference,
        "total": plain_amount(done.total, currency),
        "currency": currency,
        "entered_by": entered_by.email if entered_by is not None else None,
        "threshold": plain_amount(credit_threshold(currency), currency),
    }
    if asked is not None:
        after["expected"] = plain_amount(locked.total, currency)
    audit_record(
        action="credit.approve", actor=actor, obj=done, customer_id=done.customer_id, after=after
    )
    if approval is not None and approval.email_confirmation:
        notify_payment_received(payment=done)
    return done


def _refuse(*, payment: Payment, actor: Any, message: str, field: str | None) -> None:
    """Record a refused approval in the audit log (a security event), then raise it."""
    audit_record(
        action="credit.approval_refused",
        actor=actor,
        obj=payment,
        customer_id=payment.customer_id,
        after={"reference": payment.reference, "reason": message},
    )
    raise CreditApprovalRefused(message, field=field)


def _held(payment: Payment | int) -> Payment:
    """The payment row, locked, if it is a credit awaiting approval."""
    pk = payment.pk if isinstance(payment, Payment) else payment
    locked = Payment.objects.select_for_update(of=("self",)).select_related("customer").get(pk=pk)
    if not CreditApproval.objects.filter(payment=locked).exists():
        raise CreditError(f"Payment {locked.reference} is not a credit awaiting approval.")
    if locked.status != PaymentStatus.PENDING:
        raise InvalidTransition(
            f"Credit {locked.reference} is {locked.get_status_display().lower()}: "
            f"it was already decided."
        )
    return locked


def credit_approve(*, payment: Payment | int, actor: Any) -> Payment:
    """A second Finance user approves a held credit: it completes and the balance moves."""
    _require_finance(actor, "approve a credit")
    with transaction.atomic():
        pk = _held(payment).pk
    # Decided under staff_payment_complete's own lock (it checks again that the credit is
    # pending); outside this block, so that a refused approval's audit entry stays.
    return staff_payment_complete(payment=pk, actor=actor)


def credit_refuse(*, payment: Payment | int, actor: Any, reason: str) -> Payment:
    """Finance (the person who entered it included: they withdraw it) refuses a held credit:
    it is cancelled with the reason, which the customer sees; nothing is credited. A request to
    complete a payment for more than it expected is withdrawn instead: the payment stays
    pending as it was, and the reason goes to the audit log only."""
    _require_finance(actor, "refuse a credit")
    if not (reason or "").strip():
        raise CreditError("Say why the credit is refused.", field="reason")
    with transaction.atomic():
        locked = _held(payment)
        request = CreditApproval.objects.get(payment=locked)
        if request.requested_total is not None:
            return _withdraw(locked=locked, request=request, actor=actor, reason=reason)
        payment_pending_note(payment=locked.pk, reason="", needs_attention=False)
        done = payment_cancel(payment=locked.pk, reason=reason, actor=actor)
        audit_record(
            action="credit.refuse",
            actor=actor,
            obj=done,
            customer_id=done.customer_id,
            after={"reference": done.reference, "reason": done.cancel_reason},
        )
    return done


def _withdraw(*, locked: Payment, request: CreditApproval, actor: Any, reason: str) -> Payment:
    """A refused completion request: kept as a RefusedCompletionRequest (what was asked, by
    whom, who refused it, when, why; the audit log has it too), the payment pending as it was
    before it, and free to be asked for again."""
    currency = locked.customer.currency
    asked = plain_amount(request.requested_total or Decimal(0), currency)
    asked_by = request.requested_by.email
    RefusedCompletionRequest.objects.create(
        payment=locked,
        requested_total=request.requested_total,
        requested_by=request.requested_by,
        requested_at=request.requested_at,
        threshold=request.threshold,
        reason=request.reason,
        refused_by=actor,
        refusal=reason.strip(),
    )
    request.delete()
    payment_pending_note(
        payment=locked.pk, reason=request.reason_before, needs_attention=request.attention_before
    )
    audit_record(
        action="credit.refuse",
        actor=actor,
        obj=locked,
        customer_id=locked.customer_id,
        after={
            "reference": locked.reference,
            "reason": reason.strip(),
            "requested_total": asked,
            "currency": currency,
            "requested_by": asked_by,
        },
    )
    locked.refresh_from_db()
    return locked
