"""Vouchers, the staff's side (spec §7): issue a batch, approve or reject one that waits for a
second person, disable a voucher or a whole batch.

Only Finance or an Administrator (or the system: the `paydesk vouchers` command, actor None)
issues or disables; every change is audited in the same transaction. The plain codes of a new
batch are returned once and never stored, logged or audited (only keyed hashes and hints).

Four eyes, as on manual credits (paydesk.credits): a batch that a staff member issues whose
worst-case free credit (VoucherBatch.worst_case_credit: count × A; no bound for a bonus with
X > 1) is above the credit threshold of its currency is issued *waiting*: its codes do not
redeem until another Finance user approves it; anyone in Finance may reject it, which disables
its codes. The system (the command line) is never held, as for credits.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone

from paydesk.accounts.models import User
from paydesk.audit.services import audit_record
from paydesk.credits.selectors import CREDIT_WINDOW, credit_threshold, needs_second_person
from paydesk.errors import (
    InvalidAmount,
    InvalidTransition,
    PermissionDenied,
    VoucherBatchApprovalRefused,
    VoucherError,
)
from paydesk.money import (
    STORAGE_PLACES,
    currency_exponent,
    decimal_places,
    format_money,
    normalize_currency,
    plain_amount,
    to_decimal,
)
from paydesk.vouchers.bonus import voucher_bonus_amount
from paydesk.vouchers.codes import voucher_code_hash, voucher_code_hint, voucher_code_new
from paydesk.vouchers.models import BatchApproval, Voucher, VoucherBatch, VoucherStatus

MAX_BATCH_COUNT = 10_000
MAX_MULTIPLIER = Decimal(100)
NOTE_MAX = 200
# How the audit log names the system when no user acts (the `paydesk vouchers` command).
CLI_ACTOR = "cli"


# --- issuing -------------------------------------------------------------------------------


def _money_mover(actor: Any) -> Any:
    """The acting staff user (Finance or Administrator), or None for the system."""
    if actor is None:
        return None
    if not getattr(actor, "can_move_money", False):
        raise PermissionDenied("Only Finance or an Administrator can issue or disable vouchers.")
    return actor


def _terms_amount(value: object, *, field: str, label: str, currency: str) -> Decimal:
    amount = to_decimal(value, field=field)
    if amount < 0:
        raise InvalidAmount(f"The {label} cannot be negative.", field=field)
    places = currency_exponent(currency)
    if decimal_places(amount) > places:
        raise InvalidAmount(
            f"The {label} has more decimals than {currency} allows ({places}).", field=field
        )
    return amount


def _batch_snapshot(batch: VoucherBatch) -> dict[str, Any]:
    return {
        "count": batch.count,
        "currency": batch.currency,
        "minimum_activation": str(batch.minimum_activation),
        "multiplier": str(batch.multiplier),
        "addition": str(batch.addition),
        "expires_at": batch.expires_at.isoformat() if batch.expires_at else None,
        "note": batch.note,
        "approval": batch.approval,
    }


def issued_alone_before(batch: VoucherBatch) -> Decimal:
    """The worst-case free credit of the batches of `batch`'s currency its issuer issued alone
    (none waited for a second person) in the CREDIT_WINDOW before it: splitting a large batch
    into small ones does not get past the second person, as for manual credits."""
    if batch.created_by_id is None:
        return Decimal(0)
    rows = VoucherBatch.objects.filter(
        created_by_id=batch.created_by_id,
        currency=batch.currency,
        approval=BatchApproval.NOT_NEEDED,
        created_at__gte=batch.created_at - CREDIT_WINDOW,
        created_at__lte=batch.created_at,
    ).exclude(pk=batch.pk)
    # Summed here, exactly: a few rows a day (SQLite's SUM over amounts is not exact).
    return sum(
        (Decimal(count) * addition for count, addition in rows.values_list("count", "addition")),
        Decimal(0),
    )


def _needs_second_person(batch: VoucherBatch) -> bool:
    """A staff member's batch whose free credit can exceed the threshold (or has no bound),
    alone or with the batches they issued alone over the last 24 hours (the caller holds the
    issuer's row lock, so two batches issued at once count each other)."""
    if batch.created_by_id is None:
        return False
    worst = batch.worst_case_credit
    if worst is None:
        return True
    return needs_second_person(total=worst + issued_alone_before(batch), currency=batch.currency)


def _worst_case_text(batch: VoucherBatch) -> str | None:
    worst = batch.worst_case_credit
    return None if worst is None else plain_amount(worst, batch.currency)


def voucher_batch_issue(
    *,
    count: int,
    currency: str,
    minimum_activation: object = 0,
    multiplier: object = 1,
    addition: object,
    expires_at: datetime | None = None,
    actor: Any,
    note: str = "",
) -> tuple[VoucherBatch, list[str]]:
    """Create a batch and its vouchers; return the plain codes, which are never stored.

    `actor` is a Finance or Administrator user, or None when the system (the CLI) issues.
    """
    actor = _money_mover(actor)
    currency = normalize_currency(currency)
    if isinstance(count, bool) or not isinstance(count, int) or not 1 <= count <= MAX_BATCH_COUNT:
        raise VoucherError(
            f"Issue between 1 and {MAX_BATCH_COUNT:,} vouchers at a time.", field="count"
        )
    minimum = _terms_amount(
        minimum_activation,
        field="minimum_activation",
        label="minimum top-up",
        currency=currency,
    )
    addition_amount = _terms_amount(
        addition, field="addition", label="free credit or fixed bonus", currency=currency
    )
    factor = to_decimal(multiplier, field="multiplier")
    if not 0 <= factor <= MAX_MULTIPLIER or decimal_places(factor) > STORAGE_PLACES:
        raise InvalidAmount(
            f"The multiplier must be between 0 and {MAX_MULTIPLIER}, with at most "
            f"{STORAGE_PLACES} decimals.",
            field="multiplier",
        )
    if minimum == 0 and addition_amount == 0:
        raise VoucherError(
            "A free-credit voucher (minimum top-up 0) needs a free credit above zero.",
            field="addition",
        )
    smallest_bonus = voucher_bonus_amount(
        topup=minimum, multiplier=factor, addition=addition_amount, currency=currency
    )
    if minimum > 0 and smallest_bonus <= 0:
        raise VoucherError(
            "This bonus voucher would add nothing: use a top-up multiplier above 1 or a fixed "
            "bonus above zero.",
            field="multiplier",
        )
    if expires_at is not None:
        if timezone.is_naive(expires_at):
            raise VoucherError("The expiry needs a time zone.", field="expires_at")
        if expires_at <= timezone.now():
            raise VoucherError("The expiry must be in the future.", field="expires_at")
        if not _before_latest_expiry(expires_at):
            raise VoucherError(
                "Choose an expiry on or before 9000-12-31, or none.", field="expires_at"
            )
    note = (note or "").strip()
    if len(note) > NOTE_MAX:
        raise VoucherError(f"Keep the note under {NOTE_MAX} characters.", field="note")

    codes: list[str] = []
    seen: set[str] = set()
    while len(codes) < count:
        code = voucher_code_new()
        if code not in seen:
            seen.add(code)
            codes.append(code)
    with transaction.atomic():
        if actor is not None:  # orders one issuer's batches: each counts those before it
            User.objects.select_for_update().filter(pk=actor.pk).first()
        batch = VoucherBatch(
            currency=currency,
            minimum_activation=minimum,
            multiplier=factor,
            addition=addition_amount,
            expires_at=expires_at,
            count=count,
            note=note,
            created_by=actor,
        )
        if _needs_second_person(batch):
            batch.approval = BatchApproval.WAITING
        batch.save(force_insert=True)
        Voucher.objects.bulk_create(
            [
                Voucher(
                    batch=batch,
                    code_hash=voucher_code_hash(code),
                    hint=voucher_code_hint(code),
                    expires_at=expires_at,
                )
                for code in codes
            ],
            batch_size=500,
        )
        audit_record(
            action="voucher_batch.issue",
            actor=actor,
            actor_email="" if actor else CLI_ACTOR,
            obj=batch,
            after=_batch_snapshot(batch),
        )
        if batch.approval == BatchApproval.WAITING:
            audit_record(
                action="voucher_batch.hold",
                actor=actor,
                obj=batch,
                after={
                    "worst_case_credit": _worst_case_text(batch),
                    "currency": batch.currency,
                    "threshold": plain_amount(credit_threshold(currency), currency),
                },
            )
    return batch, codes


def batch_hold_message(batch: VoucherBatch) -> str:
    """Why a batch waits, in the words the issuer reads (back office, API)."""
    threshold = format_money(credit_threshold(batch.currency), batch.currency)
    worst = batch.worst_case_credit
    if worst is None:
        why = (
            "its bonus grows with each top-up (multiplier above 1), so its free credit has no "
            "upper bound"
        )
    elif needs_second_person(total=worst, currency=batch.currency):
        why = f"its codes can credit up to {format_money(worst, batch.currency)} in all"
    else:
        together = worst + issued_alone_before(batch)
        why = (
            "with the batches its issuer issued in the 24 hours before it, its codes and theirs "
            f"can credit up to {format_money(together, batch.currency)} in all"
        )
    return (
        f"Batch {batch.pk} is waiting for a second approval: {why}, above the four-eyes "
        f"threshold of {threshold}. Its codes cannot be redeemed until another Finance user "
        f"approves it."
    )


# --- four eyes -------------------------------------------------------------------------------


def _finance_user(actor: Any, action: str) -> Any:
    """A signed-in Finance or Administrator user (the system never approves or rejects)."""
    if actor is None or not getattr(actor, "can_move_money", False):
        raise PermissionDenied(f"Only Finance or an Administrator can {action} a voucher batch.")
    return actor


def _waiting(pk: int) -> VoucherBatch:
    """The batch row, locked, if it still waits for its second approval."""
    locked = (
        VoucherBatch.objects.select_for_update(of=("self",)).select_related("created_by").get(pk=pk)
    )
    if locked.approval != BatchApproval.WAITING:
        raise InvalidTransition(
            f"Batch {locked.pk} is not waiting for an approval "
            f"({locked.get_approval_display().lower()})."
        )
    return locked


# The latest expiry a batch takes: the end of 9000-12-31 in any time zone is before it (the back
# office's last valid day, backoffice.filters.LAST_DAY). A moment at the end of Python's calendar
# (9999-12-31T23:59-12:00) has no UTC time to store.
LATEST_EXPIRY = datetime(9001, 1, 2, tzinfo=UTC)


def _before_latest_expiry(moment: datetime) -> bool:
    try:
        return moment.astimezone(UTC) < LATEST_EXPIRY
    except OverflowError:
        return False


def voucher_batch_approve(*, batch: VoucherBatch | int, actor: Any) -> VoucherBatch:
    """A second Finance user (never the issuer) approves a waiting batch: its codes redeem."""
    actor = _finance_user(actor, "approve")
    pk = batch.pk if isinstance(batch, VoucherBatch) else batch
    with transaction.atomic():
        locked = _waiting(pk)
        if locked.created_by_id != actor.pk:
            locked.approval = BatchApproval.APPROVED
            locked.decided_by = actor
            locked.decided_at = timezone.now()
            locked.save(update_fields=["approval", "decided_by", "decided_at"])
            audit_record(
                action="voucher_batch.approve",
                actor=actor,
                obj=locked,
                before={"approval": BatchApproval.WAITING},
                after={
                    "approval": BatchApproval.APPROVED,
                    "issued_by": locked.created_by.email if locked.created_by else None,
                    "worst_case_credit": _worst_case_text(locked),
                    "currency": locked.currency,
                },
            )
            return locked
    # Outside the transaction, so that the refusal's audit entry (a security event) stays.
    message = "Nobody approves a batch they issued: a second Finance user must approve it."
    audit_record(
        action="voucher_batch.approval_refused",
        actor=actor,
        obj=locked,
        after={"reason": message},
    )
    raise VoucherBatchApprovalRefused(message)


def voucher_batch_reject(*, batch: VoucherBatch | int, actor: Any) -> VoucherBatch:
    """Finance (the issuer included: they withdraw it) rejects a waiting batch: it is void,
    every code of it disabled, and nothing can be redeemed with it."""
    actor = _finance_user(actor, "reject")
    pk = batch.pk if isinstance(batch, VoucherBatch) else batch
    now = timezone.now()
    with transaction.atomic():
        locked = _waiting(pk)
        locked.approval = BatchApproval.REJECTED
        locked.decided_by = actor
        locked.decided_at = now
        locked.save(update_fields=["approval", "decided_by", "decided_at"])
        disabled = _disable_available(pk, actor=actor, now=now)
        audit_record(
            action="voucher_batch.reject",
            actor=actor,
            obj=locked,
            before={"approval": BatchApproval.WAITING},
            after={"approval": BatchApproval.REJECTED, "disabled": disabled},
        )
    return locked


# --- disabling -----------------------------------------------------------------------------


def voucher_disable(*, voucher: Voucher | int, actor: Any) -> Voucher:
    """Available → Disabled; a used or already disabled voucher is refused."""
    actor = _money_mover(actor)
    pk = voucher.pk if isinstance(voucher, Voucher) else voucher
    now = timezone.now()
    with transaction.atomic():
        changed = Voucher.objects.filter(pk=pk, status=VoucherStatus.AVAILABLE).update(
            status=VoucherStatus.DISABLED, disabled_at=now, disabled_by=actor
        )
        current = Voucher.objects.get(pk=pk)
        if changed != 1:
            raise VoucherError(
                f"Voucher {current.masked_code} is {current.get_status_display().lower()}: "
                "only an available voucher can be disabled."
            )
        audit_record(
            action="voucher.disable",
            actor=actor,
            actor_email="" if actor else CLI_ACTOR,
            obj=current,
            before={"status": VoucherStatus.AVAILABLE},
            after={
                "status": VoucherStatus.DISABLED,
                "hint": current.hint,
                "batch": current.batch_id,
            },
        )
    return current


def _disable_available(batch_id: int, *, actor: Any, now: datetime) -> int:
    """Disable every still-available voucher of a batch, in the caller's transaction; how many."""
    return Voucher.objects.filter(batch_id=batch_id, status=VoucherStatus.AVAILABLE).update(
        status=VoucherStatus.DISABLED, disabled_at=now, disabled_by=actor
    )


def voucher_batch_disable(*, batch: VoucherBatch | int, actor: Any) -> int:
    """Disable every still-available voucher of a batch; returns how many were disabled."""
    actor = _money_mover(actor)
    pk = batch.pk if isinstance(batch, VoucherBatch) else batch
    now = timezone.now()
    with transaction.atomic():
        current = VoucherBatch.objects.get(pk=pk)
        changed = _disable_available(pk, actor=actor, now=now)
        audit_record(
            action="voucher_batch.disable",
            actor=actor,
            actor_email="" if actor else CLI_ACTOR,
            obj=current,
            after={"disabled": changed},
        )
    return changed
