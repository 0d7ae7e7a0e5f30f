"""Every write of the bank-transfer workflow (spec §6): the provider's bank details, proofs of
payment, cancellation by the customer, completion by Finance with the amount actually received
(two-person rule above a threshold, never by the transfer's creator), and automatic expiry.

Money moves only through paydesk.ledger.services (payment_complete / payment_cancel), in the same
transaction as the approval that causes it. Never writes a balance or a payment row itself.

The two-person rule: a credit above PAYDESK_TRANSFER_TWO_PERSON_THRESHOLD (account currency) is
completed by the second of two different Finance users. The first approval records the amount
received, its currency, the credit at that day's rate, and leaves the payment pending "awaiting
second approval". The second approver must enter the same amount and currency (they confirm what
the first saw on the bank statement); if they differ, the approval is refused and nothing changes
— Finance then cancels the transfer with a reason (or the first approver corrects nothing: an
approval is a record, never edited). The second approval credits the first approval's converted
amount, so both people approved the same credit.
"""

from __future__ import annotations

import hashlib
import logging
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.utils import timezone

from paydesk.accounts.models import PaymentMethod, StaffRole
from paydesk.accounts.payers import may_make_payments
from paydesk.audit.services import audit_record, audited_update
from paydesk.banktransfers.errors import ApprovalRefused, ProofRefused, TransferError
from paydesk.banktransfers.models import BankDetails, TransferApproval, TransferProof
from paydesk.banktransfers.proofs import HEADER_BYTES, proof_discard, proof_kind, proof_store
from paydesk.banktransfers.selectors import (
    INCOMING_TRANSFER,
    Receipt,
    is_incoming_transfer,
    transfer_receipt,
)
from paydesk.errors import InvalidTransition, PermissionDenied
from paydesk.ledger.models import Payment, PaymentStatus
from paydesk.ledger.services import payment_cancel, payment_complete
from paydesk.money import format_money, plain_amount, round_half_up
from paydesk.notifications.services import notify_payment_completed
from paydesk.outhooks.events import event_record
from paydesk.outhooks.models import EventType
from paydesk.shapes import money

logger = logging.getLogger(__name__)

CUSTOMER_CANCEL_REASON = "Cancelled by the customer"
MAX_PROOFS_PER_TRANSFER = 10
BANK_DETAILS_FIELDS = ("beneficiary_name", "account_number", "bank_name", "bank_address", "swift")
RATE_RECORD_PLACES = 10  # the rate kept with an approval, for the record (RateField's places)


def _money(amount: Decimal, currency: str) -> str:
    return plain_amount(amount, currency)


def bank_details_update(*, actor: Any, **fields: str) -> BankDetails:
    """Set the provider's bank details (the row is made if missing); Administrators only."""
    if not (actor is not None and actor.is_staff and actor.has_role(StaffRole.ADMIN)):
        raise PermissionDenied("Only an Administrator can change the payment details.")
    unknown = set(fields) - set(BANK_DETAILS_FIELDS)
    if unknown:
        raise TransferError(f"Unknown payment details: {sorted(unknown)}")
    cleaned = {name: " ".join(str(value or "").split()) for name, value in fields.items()}
    if "bank_address" in fields:
        cleaned["bank_address"] = str(fields["bank_address"] or "").strip()
    if "swift" in cleaned:
        cleaned["swift"] = cleaned["swift"].replace(" ", "").upper()
        if len(cleaned["swift"]) not in (8, 11) or not cleaned["swift"].isalnum():
            raise TransferError("A SWIFT / BIC code has 8 or 11 letters and digits.", field="swift")
    for name in ("beneficiary_name", "account_number", "bank_name"):
        if name in cleaned and not cleaned[name]:
            raise TransferError("This is required.", field=name)
    return audited_update(
        obj=BankDetails.objects.order_by("pk").first() or BankDetails(),
        changes={**cleaned, "updated_at": timezone.now(), "updated_by": actor},
        snapshot=lambda details: {name: getattr(details, name) for name in BANK_DETAILS_FIELDS},
        action="bank_details.update",
        actor=actor,
    )


def _pending_transfer_of(payment: Payment, user: Any, *, action: str) -> Payment:
    """The payment, if it is this portal user's customer's bank transfer and still pending."""
    if (
        user is None
        or not getattr(user, "is_portal_user", False)
        or payment.customer_id != user.customer_id
        or not is_incoming_transfer(payment)
    ):
        raise TransferError("No such bank transfer.")
    if not may_make_payments(user=user, customer=payment.customer):
        raise PermissionDenied(f"You do not have permission to {action}.")
    if payment.status != PaymentStatus.PENDING:
        raise InvalidTransition(
            f"Transfer {payment.reference} is {payment.get_status_display().lower()}: "
            f"only a pending transfer can change."
        )
    return payment


def proof_too_large_message() -> str:
    limit = int(settings.PAYDESK_PROOF_MAX_BYTES)
    return f"That file is too large: at most {limit:,} bytes ({limit / 1048576:.1f} MB), please."


def transfer_proof_attach(*, payment: Payment, user: Any, upload: UploadedFile) -> TransferProof:
    """Keep a customer's proof of payment (PDF, PNG or JPEG by content, size-limited)."""
    _pending_transfer_of(payment, user, action="attach a proof of payment")
    limit = int(settings.PAYDESK_PROOF_MAX_BYTES)
    if upload.size is None or upload.size == 0:
        raise ProofRefused("That file is empty.", field="proof")
    if upload.size > limit:
        raise ProofRefused(proof_too_large_message(), field="proof")
    upload.seek(0)
    kind = proof_kind(upload.read(HEADER_BYTES))
    if kind is None:
        raise ProofRefused(
            "A proof of payment must be a PDF, PNG or JPEG file (checked by its content).",
            field="proof",
        )
    if TransferProof.objects.filter(payment=payment).count() >= MAX_PROOFS_PER_TRANSFER:
        raise ProofRefused(
            f"At most {MAX_PROOFS_PER_TRANSFER} files can be attached to one transfer.",
            field="proof",
        )
    upload.seek(0)
    digest = hashlib.sha256()
    written = 0

    def chunks():  # counts and hashes what is really written, whatever size was announced
        nonlocal written
        for chunk in upload.chunks():
            written += len(chunk)
            if written > limit:
                raise ProofRefused(proof_too_large_message(), field="proof")
            digest.update(chunk)
            yield chunk

    stored = proof_store(chunks(), kind)
    try:
        with transaction.atomic():
            locked = Payment.objects.select_for_update(of=("self",)).get(pk=payment.pk)
            if locked.status != PaymentStatus.PENDING:
                raise InvalidTransition(f"Transfer {locked.reference} is no longer pending.")
            proof = TransferProof.objects.create(
                payment=locked,
                kind=kind,
                stored_name=stored,
                original_name=(upload.name or "")[-200:],
                size=written,
                sha256=digest.hexdigest(),
                uploaded_by=user,
            )
            audit_record(
                action="banktransfer.proof_attach",
                actor=user,
                obj=proof,
                customer_id=locked.customer_id,
                after={
                    "reference": locked.reference,
                    "kind": kind,
                    "size": written,
                    "sha256": proof.sha256,
                },
            )
    except BaseException:
        proof_discard(stored)
        raise
    return proof


def transfer_cancel_by_customer(*, payment: Payment, user: Any) -> Payment:
    """A portal user with *make payments* withdraws their customer's pending bank transfer."""
    _pending_transfer_of(payment, user, action="cancel payments")
    with transaction.atomic():
        Payment.objects.select_for_update(of=("self",)).filter(pk=payment.pk).first()
        if TransferApproval.objects.filter(payment_id=payment.pk).exists():
            raise TransferError(
                "We have already received this transfer and are approving it: please contact us."
            )
        return payment_cancel(payment=payment.pk, reason=CUSTOMER_CANCEL_REASON, actor=user)


def _refuse(*, payment: Payment, actor: Any, message: str, field: str | None = None) -> None:
    """Record a refused approval in the audit log (a security event), then raise it."""
    audit_record(
        action="banktransfer.approval_refused",
        actor=actor,
        obj=payment,
        customer_id=payment.customer_id,
        after={"reference": payment.reference, "reason": message},
    )
    raise ApprovalRefused(message, field=field)


def _approval_snapshot(approval: TransferApproval, receipt: Receipt) -> dict[str, Any]:
    return {
        "reference": approval.payment.reference,
        "received": _money(approval.received_amount, approval.received_currency),
        "received_currency": approval.received_currency,
        "credit": _money(approval.credit, receipt.currency),
        "expected": _money(receipt.expected, receipt.currency),
        "difference": _money(approval.credit - receipt.expected, receipt.currency),
        "rate": str(receipt.rate.rate),
        "rate_date": receipt.rate.rate_date.isoformat(),
        "rate_source": receipt.rate.source,
    }


def transfer_complete(
    *,
    payment: Payment | int,
    actor: Any,
    received_amount: object,
    received_currency: str,
    at: datetime | None = None,
) -> Payment:
    """Finance approves a received transfer: completes it, or records the first of two approvals.

    The credit is the received amount converted to the account currency at the day's rate.
    Returns the payment: completed, or still pending awaiting a second approval.
    """
    if actor is None or not getattr(actor, "is_staff", False) or not actor.can_move_money:
        raise PermissionDenied("Only Finance can complete a bank transfer.")
    pk = payment.pk if isinstance(payment, Payment) else payment
    refusal: tuple[str, str | None] | None = None
    with transaction.atomic():
        locked = (
            Payment.objects.select_for_update(of=("self",)).select_related("customer").get(pk=pk)
        )
        if locked.method != PaymentMethod.BANK_TRANSFER:
            raise TransferError(f"Payment {locked.reference} is not a bank transfer.")
        if not is_incoming_transfer(locked):
            raise TransferError(
                f"{locked.get_relation_display()} {locked.reference} is money going back, not a "
                "transfer coming in: it is not approved as a bank transfer."
            )
        if locked.status != PaymentStatus.PENDING:
            raise InvalidTransition(
                f"Transfer {locked.reference} is {locked.get_status_display().lower()}: "
                f"only a pending transfer can be completed."
            )
        receipt = transfer_receipt(
            payment=locked, received_amount=received_amount, received_currency=received_currency
        )
        first = TransferApproval.objects.filter(payment=locked).order_by("at", "id").first()
        if locked.created_by_id is not None and locked.created_by_id == actor.pk:
            refusal = ("Nobody approves a transfer they created.", None)
        elif first is not None and first.approver_id == actor.pk:
            refusal = (
                "You already approved this transfer: a second Finance user must approve it.",
                None,
            )
        elif first is not None and (
            first.received_amount != receipt.received_amount
            or first.received_currency != receipt.received_currency
        ):
            refusal = (
                "The first approval recorded "
                f"{format_money(first.received_amount, first.received_currency)} received; "
                "the second approval must confirm the same amount and currency. If the first is "
                "wrong, cancel the transfer and record it again.",
                "received_amount",
            )
        if refusal is None:
            return _approve(locked=locked, actor=actor, receipt=receipt, first=first, at=at)
    _refuse(payment=locked, actor=actor, message=refusal[0], field=refusal[1])
    raise AssertionError("unreachable")


def _approve(
    *,
    locked: Payment,
    actor: Any,
    receipt: Receipt,
    first: TransferApproval | None,
    at: datetime | None,
) -> Payment:
    credit = first.credit if first is not None else receipt.credit
    try:
        with transaction.atomic():
            approval = TransferApproval.objects.create(
                payment=locked,
                approver=actor,
                expected=locked.total,  # still pending: what the transfer expects
                received_amount=receipt.received_amount,
                received_currency=receipt.received_currency,
                credit=credit,
                rate=first.rate if first is not None else _rate_record(receipt),
                rate_date=first.rate_date if first is not None else receipt.rate.rate_date,
                at=at or timezone.now(),
            )
    except IntegrityError:
        raise ApprovalRefused("You already approved this transfer.") from None
    snapshot = _approval_snapshot(approval, receipt)
    if first is None and receipt.needs_two_approvals:
        audit_record(
            action="banktransfer.approve_first",
            actor=actor,
            obj=locked,
            customer_id=locked.customer_id,
            after={**snapshot, "status": "awaiting second approval"},
        )
        event_record(
            event_type=EventType.TRANSFER_AWAITING_APPROVAL,
            payment=locked,
            extra={
                "received": money(receipt.received_amount, receipt.received_currency),
                "credit": money(credit, receipt.currency),
            },
        )
        return locked
    audit_record(
        action="banktransfer.approve",
        actor=actor,
        obj=locked,
        customer_id=locked.customer_id,
        after={
            **snapshot,
            "first_approver": first.approver.email if first is not None else None,
        },
    )
    completed = payment_complete(payment=locked.pk, actor=actor, total=credit, at=at)
    notify_payment_completed(payment=completed)
    return completed


def _rate_record(receipt: Receipt) -> Decimal:
    """The rate as kept with an approval: at most 10 decimals (the credit used the exact rate)."""
    return round_half_up(receipt.rate.rate, RATE_RECORD_PLACES)


def transfers_expire(*, now: datetime | None = None) -> int:
    """Cancel bank transfers pending longer than PAYDESK_TRANSFER_EXPIRY_DAYS; return how many.

    A transfer that already has a Finance approval is money that arrived: it never expires.
    """
    days = int(settings.PAYDESK_TRANSFER_EXPIRY_DAYS)
    if days <= 0:
        return 0
    cutoff = (now or timezone.now()) - timedelta(days=days)
    reason = f"Expired: no transfer received within {days} days"
    candidates = (
        Payment.objects.filter(
            INCOMING_TRANSFER,
            status=PaymentStatus.PENDING,
            created_at__lt=cutoff,
            approvals__isnull=True,
        )
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    expired = 0
    for pk in list(candidates[:10_000]):
        try:
            with transaction.atomic():
                # Lock first, as an approval does, then look: an approval racing the expiry wins.
                Payment.objects.select_for_update(of=("self",)).filter(pk=pk).first()
                if TransferApproval.objects.filter(payment_id=pk).exists():
                    continue
                payment_cancel(payment=pk, reason=reason, actor=None, at=now)
        except InvalidTransition:
            continue  # completed or cancelled meanwhile
        expired += 1
    if expired:
        logger.info("Expired %d pending bank transfers older than %d days.", expired, days)
    return expired


def transfer_complete_as_expected(*, payment: Payment | int, actor: Any) -> Payment:
    """Bulk completion: the expected total arrived in the account currency (two-person rule kept).

    When that records only the first of two approvals, says so with a TransferError, so that a
    bulk action reports the transfer as not completed yet.
    """
    pk = payment.pk if isinstance(payment, Payment) else payment
    current = Payment.objects.select_related("customer").get(pk=pk)
    done = transfer_complete(
        payment=pk,
        actor=actor,
        received_amount=current.total,
        received_currency=current.customer.currency,
    )
    if done.status == PaymentStatus.PENDING:
        raise TransferError(
            "Your approval is recorded; a second Finance user must approve this transfer."
        )
    return done
