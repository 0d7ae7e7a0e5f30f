"""Disputes as the gateway tells them, and the money they move (ledger/refunds.py posts it).

One `Dispute` row per gateway dispute. Its stages move it:
opened → open; funds withdrawn, or lost → a chargeback row (once); funds reinstated, or won after
a chargeback → a chargeback-reversed row (once); won, lost or closed → closed with that status.
A stage that arrives out of order (a lost dispute Paydesk never saw open) still records the
dispute and its money: every real outcome at least once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from enum import StrEnum

from django.db import IntegrityError, transaction
from django.utils import timezone

from paydesk.audit.services import audit_record
from paydesk.ledger.models import Dispute, DisputeStatus, Payment
from paydesk.ledger.refunds import (
    chargeback_record,
    chargeback_reversal_record,
    original_locked,
)


class DisputeStage(StrEnum):
    """The stages the ledger acts on; the gateway boundary's DisputeStage has the same values
    (tests/refunds check it), so a stage crosses the layers as its text."""

    OPENED = "opened"
    UPDATED = "updated"
    FUNDS_WITHDRAWN = "funds_withdrawn"
    FUNDS_REINSTATED = "funds_reinstated"
    WON = "won"
    LOST = "lost"
    CLOSED = "closed"


_TAKES = (DisputeStage.FUNDS_WITHDRAWN, DisputeStage.LOST)
_GIVES_BACK = (DisputeStage.FUNDS_REINSTATED, DisputeStage.WON)
_CLOSING = {
    DisputeStage.WON: DisputeStatus.WON,
    DisputeStage.LOST: DisputeStatus.LOST,
    DisputeStage.CLOSED: DisputeStatus.CLOSED,
}


@dataclass(frozen=True, slots=True)
class DisputeChange:
    """What one dispute notification did: the dispute, whether it was new, and the payment row
    it posted (a chargeback or its reversal), if any."""

    dispute: Dispute
    opened: bool
    posted: Payment | None
    detail: str


def dispute_apply(
    *,
    original: Payment,
    gateway: str,
    dispute_id: str,
    stage: str,
    amount: Decimal | None = None,
    currency: str = "",
    account_total: Decimal | None = None,
    reason: str = "",
    gateway_status: str = "",
    evidence_due: datetime | None = None,
    event_id: str = "",
) -> DisputeChange:
    """Record one stage of a dispute of `original` (a completed payment), in one transaction.

    `amount`/`currency`: the disputed money as the gateway says it (the paid currency);
    `account_total`: the same in the account currency (what a chargeback debits), by default
    the whole payment.
    """
    stage = DisputeStage(stage)
    now = timezone.now()
    with transaction.atomic():
        original_locked(original)  # before the dispute, as the refunds of it lock it
        dispute, opened = _locked_dispute(
            original=original, gateway=gateway, dispute_id=dispute_id, now=now
        )
        if reason:
            dispute.reason = reason[:300]
        if gateway_status:
            dispute.gateway_status = gateway_status[:60]
        if amount is not None:
            dispute.amount, dispute.currency = amount, currency[:3]
        if evidence_due is not None:
            dispute.evidence_due = evidence_due
        dispute.updated_at = now
        posted, details = None, []
        take = account_total if account_total is not None else original.total
        if stage in _TAKES and dispute.chargeback_id is None:
            posted, _created = chargeback_record(
                original=original,
                total=take,
                dispute_id=f"{gateway}:{dispute_id}",
                reason=dispute.reason,
                paid_amount=amount if amount is not None and currency else None,
            )
            dispute.chargeback = posted
            details.append(f"chargeback {posted.reference} posted")
        if stage in _GIVES_BACK and dispute.chargeback is not None and not dispute.reversal_id:
            posted, _created = chargeback_reversal_record(
                original=original,
                chargeback=dispute.chargeback,
                dispute_id=f"{gateway}:{dispute_id}",
            )
            dispute.reversal = posted
            details.append(f"chargeback reversed as {posted.reference}")
        if stage in _CLOSING:
            dispute.status = _CLOSING[stage]
            dispute.closed_at = dispute.closed_at or now
            details.append(f"dispute {dispute.status}")
        dispute.save()
        audit_record(
            action=f"dispute.{stage.value}",
            obj=dispute,
            customer_id=original.customer_id,
            after={
                "payment": original.reference,
                "gateway": gateway,
                "dispute_id": dispute_id,
                "status": dispute.status,
                "reason": dispute.reason,
                "amount": None if dispute.amount is None else str(dispute.amount),
                "currency": dispute.currency,
                "posted": posted.reference if posted else "",
                "event_id": event_id,
            },
        )
    detail = "; ".join(details) or f"dispute {dispute.status}"
    return DisputeChange(dispute=dispute, opened=opened, posted=posted, detail=detail)


def _locked_dispute(
    *, original: Payment, gateway: str, dispute_id: str, now: datetime
) -> tuple[Dispute, bool]:
    rows = Dispute.objects.select_for_update(of=("self",)).select_related("chargeback")
    found = rows.filter(gateway=gateway, dispute_id=dispute_id).first()
    if found is not None:
        return found, False
    try:
        with transaction.atomic():
            created = Dispute.objects.create(
                gateway=gateway,
                dispute_id=dispute_id[:100],
                payment=original,
                customer_id=original.customer_id,
                opened_at=now,
                updated_at=now,
            )
            return created, True
    except IntegrityError:  # opened by a concurrent delivery: wait for it, then use it
        return rows.get(gateway=gateway, dispute_id=dispute_id), False
