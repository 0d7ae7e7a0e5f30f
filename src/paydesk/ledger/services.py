"""Every write to the ledger: create, complete and cancel payments, and post to balances.

This is the only module that changes a customer's balance, and it does so in the same database
transaction as the payment change that causes it. The balance moves by one conditional UPDATE
(`balance = balance + x`, with the available-credit check in its WHERE clause for purchases), so
the check and the debit are one atomic step on SQLite and PostgreSQL alike. It never edits a
completed or cancelled payment: the database would refuse (migrations/0002_ledger_guards.py).
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from datetime import datetime
from decimal import Decimal
from functools import reduce
from typing import Any

from django.db import IntegrityError, models, transaction
from django.utils import timezone

from paydesk.accounts.models import Customer, PaymentMethod
from paydesk.audit.services import audit_insert_selecting, audit_record
from paydesk.errors import InvalidAmount, InvalidTransition, PaymentError
from paydesk.ledger.fastpath import payment_new, payment_row_insert
from paydesk.ledger.hooks import (
    CANCELLED,
    COMPLETED,
    CREATED,
    NEW_PAYMENT,
    BalanceWatch,
    PaymentChange,
    balance_watches_run,
    payment_changed,
    payment_follow_ups_run,
    topup_steps_run,
)
from paydesk.ledger.imports import backdating_refuse, latest_completed_at
from paydesk.ledger.models import Payment, PaymentRelation, PaymentStatus
from paydesk.ledger.posting import (
    DESCRIPTION_MAX,
    METHODS,
    STATUSES,
    PaidDetails,
    acting_user,
    checked_total,
    payment_snapshot,
    post_to_balance,
    split_description,
)
from paydesk.money import STORAGE_PLACES, decimal_places, to_decimal
from paydesk.references import new_payment_reference

__all__ = [
    "PaidDetails",
    "checked_total",
    "payment_cancel",
    "payment_complete",
    "payment_create",
    "payment_describe",
    "payment_pending_note",
    "split_description",
]


def payment_create(
    *,
    customer: Customer,
    total: object,
    description: str,
    method: str = PaymentMethod.MANUAL,
    status: str = PaymentStatus.COMPLETED,
    actor: Any = None,
    fee: object = None,
    gateway: str = "",
    gateway_reference: str = "",
    idempotency_key: str | None = None,
    allow_overdraft: bool = False,
    cancel_reason: str = "",
    at: datetime | None = None,
    paid: PaidDetails | None = None,
    gateway_transaction: str = "",
    original: Payment | None = None,
    relation: str = "",
    savepoint: bool = True,
    written_with: Callable[[Payment], list[tuple[str, list[Any]]]] | None = None,
) -> Payment:
    """Record a payment (top-up if positive, purchase if negative); completed ones post at once.

    A completed purchase is refused with InsufficientCredit when it would take available credit
    below zero, unless `allow_overdraft`. With an `idempotency_key` already used for this
    customer, the existing payment is returned and nothing new is written. An explicit `at`
    (demo history) must not go back before the customer's latest completed payment: the
    statement's running balance and `check-balances` follow completion times, so a completed
    payment dated earlier is refused (BackdatedEntry, nothing written). `paid`
    records what the customer was charged when it differs from the credit (Make Payment).
    `original` and `relation` link a payment to the earlier one of the same customer it follows
    (a late payment for a cancelled one); `gateway_transaction` is the gateway's id of the money
    that settled it (unique per gateway: PaymentError when another payment has it).

    Inside the caller's transaction the work takes a savepoint, so that a used idempotency key
    can be answered here (the existing payment). `savepoint=False` says the caller answers for
    it itself (the API's one-transaction requests: a lost race rolls the request back and its
    idempotency record answers): no savepoint is taken (two round trips fewer, bench P5), and
    any IntegrityError breaks the caller's transaction and goes up as it is. A reference drawn
    twice (50 random bits) is drawn again either way, by the INSERT itself (ledger/fastpath.py
    `payment_row_insert`); PaymentError, nothing written, if it stays taken.

    `written_with(payment)`: [(sql, params)] of the caller's own statements naming the new
    payment (`UPDATE … FROM new_payment`, `INSERT … SELECT … FROM new_payment`: its `id`,
    ledger/hooks.py NEW_PAYMENT), written by the payment's own statement on PostgreSQL, after
    its audit entry (a round trip fewer each, bench P5). It is asked only there, again for
    each reference drawn; when it was not asked, the caller writes its changes itself, after.
    """
    total = checked_total(total)
    if (original is None) != (not relation):
        raise PaymentError("A linked payment needs both its original and how it relates.")
    if original is not None and original.customer_id != customer.pk:
        raise PaymentError("A payment can only follow a payment of the same customer.")
    public, comment = split_description(description)
    if not public:
        raise PaymentError("A description the customer can read is required.", field="description")
    if len(public) > DESCRIPTION_MAX or len(comment) > DESCRIPTION_MAX:
        raise PaymentError("That description is too long.", field="description")
    if status not in STATUSES:
        raise PaymentError(f"Unknown status '{status}'.", field="status")
    if method not in METHODS:
        raise PaymentError(f"Unknown method '{method}'.", field="method")
    fee_amount = None
    if fee not in (None, ""):
        fee_amount = to_decimal(fee, field="fee")
        if fee_amount < 0 or decimal_places(fee_amount) > STORAGE_PLACES:
            raise InvalidAmount(
                "The fee must be zero or more, with at most 4 decimals.", field="fee"
            )
    cancel_note = ""
    if status == PaymentStatus.CANCELLED:
        cancel_reason, cancel_note = cancel_text(cancel_reason, actor)
        cancel_reason = cancel_reason or "Recorded as cancelled."
    # A used idempotency_key is found by the unique index (payment_unique_idempotency_key): the
    # INSERT fails, its savepoint rolls back, and the existing payment is returned below.
    # Without a savepoint inside the caller's transaction, that transaction is broken: nothing
    # can be read in it any more, the error is the caller's.
    broken_on_error = not savepoint and transaction.get_connection().in_atomic_block
    try:
        return _payment_insert(
            customer=customer,
            total=total,
            public=public,
            comment=comment,
            method=method,
            status=status,
            actor=acting_user(actor),
            fee=fee_amount,
            gateway=gateway,
            gateway_reference=gateway_reference,
            idempotency_key=idempotency_key,
            allow_overdraft=allow_overdraft,
            cancel_reason=cancel_reason,
            cancel_note=cancel_note,
            at=at,
            paid=paid,
            gateway_transaction=gateway_transaction,
            original=original,
            relation=relation,
            savepoint=savepoint,
            written_with=written_with,
        )
    except IntegrityError:
        if broken_on_error:
            raise
        if idempotency_key is not None:
            existing = Payment.objects.filter(
                customer=customer, idempotency_key=idempotency_key
            ).first()
            if existing is not None:
                return existing
        taken = [
            models.Q(**{column: value})
            for column, value in (
                ("gateway_reference", gateway_reference),
                ("gateway_transaction", gateway_transaction),
            )
            if value
        ]
        if (
            taken
            and Payment.objects.filter(
                models.Q(gateway=gateway) & reduce(operator.or_, taken)
            ).exists()
        ):
            raise PaymentError("That gateway transaction is already recorded.") from None
        raise


def _payment_insert(
    *,
    customer: Customer,
    total: Decimal,
    public: str,
    comment: str,
    method: str,
    status: str,
    actor: Any,
    fee: Decimal | None,
    gateway: str,
    gateway_reference: str,
    idempotency_key: str | None,
    allow_overdraft: bool,
    cancel_reason: str,
    at: datetime | None,
    cancel_note: str = "",
    paid: PaidDetails | None = None,
    gateway_transaction: str = "",
    original: Payment | None = None,
    relation: str = "",
    savepoint: bool = True,
    written_with: Callable[[Payment], list[tuple[str, list[Any]]]] | None = None,
) -> Payment:
    with transaction.atomic(savepoint=savepoint):
        balance_after = None
        probes: tuple[bool, ...] = ()
        watched: tuple[BalanceWatch, ...] = ()
        if status == PaymentStatus.COMPLETED:
            posted = post_to_balance(
                customer_id=customer.pk,
                amount=total,
                check_credit=total < 0 and not allow_overdraft,
            )
            balance_after, probes, watched = posted.balance, posted.probes, posted.watched
            if at is not None:  # checked holding the lock the balance UPDATE took
                backdating_refuse(at, latest_completed_at(customer), field="at")
        # The time is read only now, holding the customer's row (PostgreSQL) or the write lock
        # (SQLite) until commit: completion times then follow the order in which balances
        # moved, which the `balance after` chain and the drift check rely on. Read before the
        # lock, a writer that waited would carry an earlier time than the one it queued behind.
        at = at or timezone.now()
        payment = payment_new(
            reference=new_payment_reference(),
            customer=customer,
            total=total,
            status=status,
            method=method,
            description=public,
            staff_comment=comment,
            fee=fee,
            gateway=gateway,
            gateway_reference=gateway_reference,
            gateway_transaction=gateway_transaction[:100],
            original=original,
            relation=relation,
            idempotency_key=idempotency_key,
            created_at=at,
            created_by=actor,
            occurred_at=at,
            completed_at=at if status == PaymentStatus.COMPLETED else None,
            completed_by=actor if status == PaymentStatus.COMPLETED else None,
            cancelled_at=at if status == PaymentStatus.CANCELLED else None,
            cancelled_by=actor if status == PaymentStatus.CANCELLED else None,
            cancel_reason=cancel_reason[:500] if status == PaymentStatus.CANCELLED else "",
            cancel_note=cancel_note[:500] if status == PaymentStatus.CANCELLED else "",
            balance_after=balance_after,
            paid_amount=paid.amount if paid else None,
            paid_currency=paid.currency if paid else None,
            fx_rate=paid.fx_rate if paid else None,
            surcharge=paid.surcharge if paid else None,
        )
        # The payment listeners that can (the webhooks' event rows) write in its INSERT, and
        # on PostgreSQL its audit entry too (one round trip fewer per request, bench P5).
        audited: list[bool] = []

        def companions(new: Payment) -> list[tuple[str, list[Any]]]:
            rows: list[tuple[str, list[Any]]] = []
            if actor is not None:
                audit = audit_insert_selecting(
                    NEW_PAYMENT,
                    action="payment.create",
                    actor=actor,
                    object_type="payment",
                    customer_id=customer.pk,
                    after={**payment_snapshot(new), "allow_overdraft": allow_overdraft},
                )
                audited[:] = [audit is not None]
                rows += [] if audit is None else [audit]
            return rows + ([] if written_with is None else written_with(new))

        told = payment_row_insert(
            payment,
            PaymentChange(CREATED, payment, balance_after, customer.debit_limit),
            companion=companions if actor is not None or written_with is not None else None,
        )
        if balance_after is not None:
            customer.balance = balance_after
        if actor is not None and not any(audited):
            audit_record(
                action="payment.create",
                actor=actor,
                obj=payment,
                customer_id=customer.pk,
                after={**payment_snapshot(payment), "allow_overdraft": allow_overdraft},
            )
        # The top-up steps other apps registered (the vouchers' bonus, §7), in the same
        # transaction; the balance UPDATE already ran their probes.
        topup_steps_run(payment=payment, probes=probes)
        change = payment_changed(CREATED, payment, balance_after, customer.debit_limit, told=told)
        balance_watches_run(payment=payment, balance=balance_after, fired=watched)
        payment_follow_ups_run(change)
    return payment


# A refund is settled by its gateway's answer (ledger/refunds.py `refund_settle`, which also
# moves what the refund holds against the payment it refunds): completed by hand it could take
# any amount past that limit, and cancelled by hand it kept its hold and lost the gateway's later
# "refunded" (an answer for a cancelled refund is ignored) while the money left.
REFUND_BY_GATEWAY = (
    "Refund {reference} was asked of the gateway: it completes or is cancelled by the gateway's "
    "answer (Paydesk asks again until it answers), never by hand."
)


def _locked_pending(payment: Payment | int, action: str, *, refund_answer: bool = False) -> Payment:
    pk = payment.pk if isinstance(payment, Payment) else payment
    # Lock the payment row only. FOR UPDATE on the joined customer row would conflict with the
    # FOR KEY SHARE lock that every concurrent payment INSERT takes on it (PostgreSQL's foreign
    # key check, deferred to COMMIT): under load that deadlocked against a pending payment
    # being created (tests/reliability R1). The balance UPDATE locks the customer row itself.
    locked = Payment.objects.select_for_update(of=("self",)).select_related("customer").get(pk=pk)
    if locked.status != PaymentStatus.PENDING:
        raise InvalidTransition(
            f"Payment {locked.reference} is {locked.get_status_display().lower()}: "
            f"only a pending payment can be {action}."
        )
    if locked.relation == PaymentRelation.REFUND and not refund_answer:
        raise InvalidTransition(REFUND_BY_GATEWAY.format(reference=locked.reference))
    return locked


def payment_complete(
    *,
    payment: Payment | int,
    actor: Any = None,
    total: object = None,
    allow_overdraft: bool = False,
    at: datetime | None = None,
    gateway_transaction: str = "",
    fee: Decimal | None = None,
    refund_answer: bool = False,
) -> Payment:
    """Pending → Completed, crediting (or debiting) the balance; `total` overrides the amount;
    `fee` records the gateway's fee (reference only, account currency). A refund completes only
    as its gateway's answer (`refund_answer`, from ledger/refunds.py): InvalidTransition else.

    `gateway_transaction` records the gateway's id of the money that settled it; the database
    refuses (IntegrityError, nothing changed) one already recorded on another payment. An
    explicit `at` before the customer's latest completed payment is refused (BackdatedEntry).
    """
    actor = acting_user(actor)
    with transaction.atomic():
        locked = _locked_pending(payment, "completed", refund_answer=refund_answer)
        amount = locked.total if total in (None, "") else checked_total(total)
        if (amount < 0) != (locked.total < 0):
            raise InvalidAmount("Completing cannot turn a top-up into a purchase.", field="total")
        before = payment_snapshot(locked)
        posted = post_to_balance(
            customer_id=locked.customer_id,
            amount=amount,
            check_credit=amount < 0 and not allow_overdraft,
        )
        balance_after = posted.balance
        if at is not None:  # checked holding the lock the balance UPDATE took
            backdating_refuse(at, latest_completed_at(locked.customer), field="at")
        now = at or timezone.now()
        settled: dict[str, Any] = {}
        if gateway_transaction:
            settled["gateway_transaction"] = gateway_transaction[:100]
        if fee is not None:
            settled["fee"] = fee
        if actor is not None and amount != locked.total:
            # Staff entered the amount received: keep what was expected, for the documents.
            settled["expected_total"] = locked.total
        Payment.objects.filter(pk=locked.pk, status=PaymentStatus.PENDING).update(
            status=PaymentStatus.COMPLETED,
            needs_attention=False,  # final: nothing left to decide (the row is frozen now)
            total=amount,
            completed_at=now,
            completed_by=actor,
            occurred_at=now,
            balance_after=balance_after,
            **settled,
        )
        locked.refresh_from_db()
        if actor is not None:
            audit_record(
                action="payment.complete",
                actor=actor,
                obj=locked,
                customer_id=locked.customer_id,
                before=before,
                after=payment_snapshot(locked),
            )
        topup_steps_run(payment=locked, probes=posted.probes)  # §7, same transaction
        change = payment_changed(COMPLETED, locked, balance_after, locked.customer.debit_limit)
        balance_watches_run(payment=locked, balance=balance_after, fired=posted.watched)
        payment_follow_ups_run(change)
    return locked


def cancel_text(reason: str, actor: Any) -> tuple[str, str]:
    """A cancel reason as (what the customer reads, staff's note). What a staff member types is
    split at `#` as a description is; a gateway's, the system's or a customer's reason is the
    customer's whole — its `#` is part of it ("Order #123 expired")."""
    if getattr(actor, "is_staff", False):
        return split_description(reason)
    return (reason or "").strip(), ""


def payment_cancel(
    *,
    payment: Payment | int,
    reason: str,
    actor: Any = None,
    at: datetime | None = None,
    audited: bool = False,
    refund_answer: bool = False,
) -> Payment:
    """Pending → Cancelled with a reason; the balance does not move. Audited when someone
    cancels it (`actor`), or when Paydesk does on its own and says so (`audited`). As in a
    description, text a staff member types after `#` is staff's note: the customer sees only
    the part before it (`cancel_text`); the audit log keeps the whole reason. A refund is
    cancelled only as its gateway's answer (`refund_answer`, ledger/refunds.py `refund_settle`,
    which releases what it held): InvalidTransition else."""
    reason = (reason or "").strip()
    if not reason:
        raise PaymentError("Say why the payment is cancelled.", field="reason")
    actor = acting_user(actor)
    public, note = cancel_text(reason, actor)
    if not public and actor is not None:
        raise PaymentError(
            "Say why the payment is cancelled before any #: the customer reads that part.",
            field="reason",
        )
    with transaction.atomic():
        locked = _locked_pending(payment, "cancelled", refund_answer=refund_answer)
        before = payment_snapshot(locked)
        now = at or timezone.now()
        Payment.objects.filter(pk=locked.pk, status=PaymentStatus.PENDING).update(
            status=PaymentStatus.CANCELLED,
            needs_attention=False,
            cancelled_at=now,
            cancelled_by=actor,
            cancel_reason=(public or "Cancelled.")[:500],
            cancel_note=note[:500],
        )
        locked.refresh_from_db()
        if actor is not None or audited:
            audit_record(
                action="payment.cancel",
                actor=actor,
                obj=locked,
                customer_id=locked.customer_id,
                before=before,
                after={**payment_snapshot(locked), "reason": reason},
            )
        payment_follow_ups_run(payment_changed(CANCELLED, locked))
    return locked


def payment_pending_note(
    *,
    payment: Payment | int,
    reason: str | None = None,
    needs_attention: bool | None = None,
    gateway_reference: str | None = None,
    gateway_transaction: str | None = None,
    awaiting_bank: bool | None = None,
    gateway_received: tuple[str, str] | None = None,
) -> bool:
    """Record on a still-pending payment why it waits, whether Finance must look at it, whether
    the banks are settling its debit (`awaiting_bank`, from the gateway's event), what the
    gateway reported received of a partly paid payment (`gateway_received`: amount and
    currency as the gateway wrote them), and the gateway's own reference for it. Money does not
    move. False when the payment is no longer pending (a webhook settled it meanwhile): nothing
    is changed then.

    A gateway reference or transaction, once set, is never replaced by another one.
    """
    pk = payment.pk if isinstance(payment, Payment) else payment
    changes: dict[str, Any] = {}
    if reason is not None:
        changes["pending_reason"] = reason.strip()[:300]
    if needs_attention is not None:
        changes["needs_attention"] = needs_attention
    if awaiting_bank is not None:
        changes["awaiting_bank"] = awaiting_bank
    if gateway_received is not None:
        changes["gateway_received_amount"] = gateway_received[0][:40]
        changes["gateway_received_currency"] = gateway_received[1][:10]
    rows = Payment.objects.filter(pk=pk, status=PaymentStatus.PENDING)
    if gateway_reference:
        changes["gateway_reference"] = gateway_reference[:100]
        rows = rows.filter(
            models.Q(gateway_reference="") | models.Q(gateway_reference=gateway_reference[:100])
        )
    if gateway_transaction:
        changes["gateway_transaction"] = gateway_transaction[:100]
        rows = rows.filter(
            models.Q(gateway_transaction="")
            | models.Q(gateway_transaction=gateway_transaction[:100])
        )
    if not changes:
        return False
    return rows.update(**changes) == 1


def payment_describe(*, payment: Payment | int, description: str, replacing: str) -> bool:
    """Replace a pending payment's description by a more precise one its gateway's server gave
    (the card's brand and last four), only while it still reads `replacing`: never over what
    staff wrote, never on a final payment. Money does not move; True when it was replaced."""
    public, _comment = split_description(description)
    if not public or public != description or len(public) > 500:
        raise PaymentError("That description cannot be used.", field="description")
    pk = payment.pk if isinstance(payment, Payment) else payment
    rows = Payment.objects.filter(pk=pk, status=PaymentStatus.PENDING, description=replacing)
    return rows.update(description=description) == 1
