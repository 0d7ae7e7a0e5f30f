"""Staff endpoints for money going back: refund a payment, read disputes.

`POST /staff/payments/{reference}/refund` calls checkout.refunds.payment_refund — the one refund
operation of the back office, the CLI and this API — under the API's Idempotency-Key; the refund
row also gets a key derived from the caller's (scoped to the staff user, whichever of their
keys), so the same key never refunds twice even after the idempotency record is purged.
"""

# No `from __future__ import annotations`: ninja reads these signatures at import time.

import hashlib
from datetime import datetime
from typing import Literal

from django.db.models import Case, F, Value, When
from django.http import HttpRequest, HttpResponse
from ninja import Query, Router, Schema
from pydantic import Field

from paydesk.api.auth import STAFF_AUTH
from paydesk.api.idempotency import idempotent
from paydesk.api.schemas import (
    ERRORS,
    Input,
    MoneyOut,
    SingleLine,
    StaffPaymentOut,
    json_response,
    money,
    staff_payment_out,
)
from paydesk.api.staff.common import staff_caller, staff_payment
from paydesk.checkout.refunds import payment_refund
from paydesk.ledger.models import Dispute, DisputeStatus, PaymentStatus
from paydesk.ledger.refund_reads import standing_refunds_of, standing_refunds_prefetch

router = Router(tags=["staff"], auth=STAFF_AUTH)


class RefundIn(Input):
    total: str | None = Field(
        None,
        max_length=40,
        examples=["20.00"],
        description="In the account currency; omitted or null: everything left to refund.",
    )
    reason: SingleLine = Field(max_length=300, examples=["Unused minutes"])
    allow_overdraft: bool = False
    outside: bool = Field(
        False,
        description="Record a refund made outside Paydesk (NOWPayments, bank transfer, voucher, "
        "manual: methods with no refund API here); refused for a gateway that refunds itself.",
    )
    note: SingleLine = Field(
        "", max_length=300, description="Staff only: a transaction hash, a wire…"
    )


def _refund_key(request: HttpRequest, caller_identity: str) -> str | None:
    raw = request.headers.get("Idempotency-Key")
    if raw is None:
        return None
    digest = hashlib.sha256(f"{caller_identity}\n{raw.strip()}".encode()).hexdigest()
    return "api-refund-" + digest[:40]


@router.post(
    "/payments/{reference}/refund",
    response={200: StaffPaymentOut, 201: StaffPaymentOut, 202: StaffPaymentOut, **ERRORS},
    summary="Refund a completed top-up (all of what is left, or part)",
)
@idempotent
def staff_payment_refund(request: HttpRequest, reference: str, payload: RefundIn) -> HttpResponse:
    """The refund row (negative, `relation` refund, `original` the payment): 201 completed,
    202 pending (the gateway is working on it or did not answer; Paydesk asks again), 200
    cancelled (the gateway declined; `cancel_reason` says why). 422 `refund_refused` past what
    is left or for a payment that cannot be refunded, `insufficient_credit` past the available
    credit without allow_overdraft, `payment_error` (field `outside`) when the method needs the
    other way; 403 `permission_denied` for Support or a read-only key."""
    caller = staff_caller(request, write=True)
    payment = staff_payment(reference)
    refund = payment_refund(
        payment=payment,
        reason=payload.reason,
        actor=caller.user,
        total=payload.total,
        allow_overdraft=payload.allow_overdraft,
        outside=payload.outside,
        note=payload.note,
        idempotency_key=_refund_key(request, caller.identity),
    )
    codes: dict[str, int] = {PaymentStatus.COMPLETED: 201, PaymentStatus.PENDING: 202}
    status = codes.get(refund.status, 200)
    return json_response(status, staff_payment_out(refund), StaffPaymentOut)


class DisputeRefundOut(Schema):
    reference: str = Field(description="The refund row's reference.")
    status: Literal["completed", "pending"]
    amount: MoneyOut = Field(
        description="What the refund gives back, positive, in the account currency."
    )
    created_at: datetime
    completed_at: datetime | None


class DisputeOut(Schema):
    id: int
    gateway: str
    dispute_id: str
    payment: str = Field(description="The disputed payment's reference.")
    customer_id: int
    status: Literal["open", "won", "lost", "closed"]
    gateway_status: str
    reason: str
    amount: MoneyOut | None
    evidence_due: datetime | None
    chargeback: str = Field("", description="The chargeback row's reference, if money was taken.")
    reversal: str = Field("", description="The chargeback-reversed row's reference, if given back.")
    opened_at: datetime
    updated_at: datetime
    closed_at: datetime | None
    refunds: list[DisputeRefundOut] = Field(
        default_factory=list,
        description="The disputed payment's refunds, completed and pending (not cancelled), "
        "oldest first: money the payer already got back, the evidence to give the gateway. "
        "Empty when it was never refunded.",
    )


class DisputeQuery(Input):
    status: Literal["open", "won", "lost", "closed"] | None = None
    customer_id: int | None = Field(None, ge=1, le=2**63 - 1)
    payment: str | None = Field(None, max_length=40, description="A payment's reference.")
    limit: int = Field(100, ge=1, le=500)


def dispute_out(dispute: Dispute) -> dict[str, object]:
    currency = dispute.customer.currency
    return {
        "id": dispute.pk,
        "gateway": dispute.gateway,
        "dispute_id": dispute.dispute_id,
        "payment": dispute.payment.reference,
        "customer_id": dispute.customer_id,
        "status": dispute.status,
        "gateway_status": dispute.gateway_status,
        "reason": dispute.reason,
        "amount": None
        if dispute.amount is None or not dispute.currency
        else money(dispute.amount, dispute.currency),
        "evidence_due": dispute.evidence_due,
        "chargeback": dispute.chargeback.reference if dispute.chargeback is not None else "",
        "reversal": dispute.reversal.reference if dispute.reversal is not None else "",
        "opened_at": dispute.opened_at,
        "updated_at": dispute.updated_at,
        "closed_at": dispute.closed_at,
        "refunds": [
            {
                "reference": r.reference,
                "status": r.status,
                "amount": money(-r.total, currency),
                "created_at": r.created_at,
                "completed_at": r.completed_at,
            }
            for r in standing_refunds_of(dispute.payment)
        ],
    }


@router.get(
    "/disputes",
    response={200: list[DisputeOut], **ERRORS},
    summary="Disputes (chargebacks), open ones first by evidence deadline",
)
def staff_disputes(request: HttpRequest, query: Query[DisputeQuery]) -> list[dict[str, object]]:
    staff_caller(request)
    rows = Dispute.objects.select_related(
        "payment", "customer", "chargeback", "reversal"
    ).prefetch_related(standing_refunds_prefetch())
    if query.status:
        rows = rows.filter(status=query.status)
    if query.customer_id is not None:
        rows = rows.filter(customer_id=query.customer_id)
    if query.payment:
        rows = rows.filter(payment=staff_payment(query.payment))
    open_first = Case(When(status=DisputeStatus.OPEN, then=Value(0)), default=Value(1))
    rows = rows.order_by(open_first, F("evidence_due").asc(nulls_last=True), "-opened_at", "-id")
    return [dispute_out(d) for d in rows[: query.limit]]
