"""Staff endpoints: voucher batches (list; issue, Finance: the codes are in that answer only;
approve or reject a batch waiting for a second Finance user)."""

# No `from __future__ import annotations`: ninja reads these signatures at import time.

import json
from datetime import datetime

from django.http import HttpRequest, HttpResponse
from ninja import Query, Router, Schema
from pydantic import Field

from paydesk.api.auth import STAFF_AUTH
from paydesk.api.errors import ApiError
from paydesk.api.idempotency import idempotent_storing
from paydesk.api.schemas import ERRORS, Input, MoneyOut, SingleLine, json_response, money
from paydesk.api.staff.common import staff_caller
from paydesk.vouchers.batches import (
    batch_hold_message,
    voucher_batch_approve,
    voucher_batch_issue,
    voucher_batch_reject,
)
from paydesk.vouchers.models import BatchApproval, VoucherBatch
from paydesk.vouchers.selectors import voucher_batch_status_counts

router = Router(tags=["staff"], auth=STAFF_AUTH)


class VoucherBatchIn(Input):
    count: int = Field(ge=1, le=1000, description="At most 1,000 per call.")
    currency: str = Field(max_length=3, examples=["USD"])
    minimum_activation: str = Field(
        "0",
        max_length=40,
        description="The minimum top-up the customer pays for the bonus; 0 = free credit.",
    )
    multiplier: str = Field(
        "1", max_length=40, description="Top-up multiplier: 2 gives a bonus of the top-up again."
    )
    addition: str = Field(
        max_length=40,
        examples=["25.00"],
        description="Free credit per code, or a fixed amount added to a bonus.",
    )
    expires_at: datetime | None = None
    note: SingleLine = Field("", max_length=200)


class VoucherBatchOut(Schema):
    id: int
    currency: str
    count: int
    minimum_activation: MoneyOut
    multiplier: str
    addition: MoneyOut
    expires_at: datetime | None
    note: str
    created_at: datetime
    statuses: dict[str, int]
    approval: str = Field(
        description="not_needed, waiting (its codes do not redeem until a second Finance user "
        "approves it), approved or rejected (void: its codes are disabled)."
    )
    worst_case_credit: MoneyOut | None = Field(
        description="count × addition: the most its codes credit for nothing; null when there "
        "is no bound (a bonus with a multiplier above 1)."
    )
    message: str | None = Field(None, description="Why the batch waits, while it does.")
    codes: list[str] | None = Field(
        None, description="The codes, in the answer that issued them only; never stored."
    )


def voucher_batch_out(batch: VoucherBatch, codes: list[str] | None = None) -> dict[str, object]:
    c = batch.currency
    worst = batch.worst_case_credit
    return {
        "id": batch.pk,
        "currency": c,
        "count": batch.count,
        "minimum_activation": money(batch.minimum_activation, c),
        "multiplier": f"{batch.multiplier.normalize():f}",
        "addition": money(batch.addition, c),
        "expires_at": batch.expires_at,
        "note": batch.note,
        "created_at": batch.created_at,
        "statuses": voucher_batch_status_counts(batch=batch),
        "approval": batch.approval,
        "worst_case_credit": None if worst is None else money(worst, c),
        "message": batch_hold_message(batch) if batch.approval == BatchApproval.WAITING else None,
        "codes": codes,
    }


def _without_codes(body: bytes) -> bytes:
    """What an Idempotency-Key record keeps of a batch answer: everything but the codes."""
    data = json.loads(body)
    if isinstance(data, dict) and "codes" in data:
        data["codes"] = None
    return json.dumps(data, separators=(",", ":")).encode()


@router.get(
    "/voucher-batches",
    response={200: list[VoucherBatchOut], **ERRORS},
    summary="Voucher batches, newest first",
)
def voucher_batches(
    request: HttpRequest, limit: int = Query(50, ge=1, le=200)
) -> list[dict[str, object]]:
    staff_caller(request)
    batches = VoucherBatch.objects.order_by("-created_at", "-id")[:limit]
    return [voucher_batch_out(b) for b in batches]


@router.post(
    "/voucher-batches",
    response={201: VoucherBatchOut, 202: VoucherBatchOut, **ERRORS},
    summary="Issue a voucher batch (Finance); the codes are in this answer only",
    description="202 when the batch waits for a second Finance user: its codes are in the "
    "answer, and redeem once another Finance user approves the batch.",
)
@idempotent_storing(_without_codes)
def voucher_batch_new(request: HttpRequest, payload: VoucherBatchIn) -> HttpResponse:
    """A replay with the same Idempotency-Key returns the batch without its codes: they are
    never stored, so they cannot be shown twice."""
    caller = staff_caller(request, write=True)
    batch, codes = voucher_batch_issue(
        count=payload.count,
        currency=payload.currency,
        minimum_activation=payload.minimum_activation,
        multiplier=payload.multiplier,
        addition=payload.addition,
        expires_at=payload.expires_at,
        note=payload.note,
        actor=caller.user,
    )
    status = 202 if batch.approval == BatchApproval.WAITING else 201
    response = json_response(status, voucher_batch_out(batch, codes), VoucherBatchOut)
    response["Cache-Control"] = "no-store"
    return response


def _batch(batch_id: int) -> VoucherBatch:
    batch = VoucherBatch.objects.filter(pk=batch_id).first()
    if batch is None:
        raise ApiError(404, "not_found", "No voucher batch with that id.", "batch_id")
    return batch


@router.post(
    "/voucher-batches/{batch_id}/approve",
    response={200: VoucherBatchOut, **ERRORS},
    summary="Approve a batch waiting for a second Finance user (not its issuer)",
)
def staff_voucher_batch_approve(request: HttpRequest, batch_id: int) -> dict[str, object]:
    caller = staff_caller(request, write=True)
    return voucher_batch_out(voucher_batch_approve(batch=_batch(batch_id), actor=caller.user))


@router.post(
    "/voucher-batches/{batch_id}/reject",
    response={200: VoucherBatchOut, **ERRORS},
    summary="Reject a batch waiting for a second Finance user: its codes are disabled",
)
def staff_voucher_batch_reject(request: HttpRequest, batch_id: int) -> dict[str, object]:
    caller = staff_caller(request, write=True)
    return voucher_batch_out(voucher_batch_reject(batch=_batch(batch_id), actor=caller.user))
