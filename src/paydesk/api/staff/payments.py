"""Staff endpoints: payments of everyone (list, add, complete, cancel) and the four eyes on
manual credits (awaiting, approve, refuse)."""

# No `from __future__ import annotations`: ninja reads these signatures at import time.

from datetime import UTC, date, datetime, time, timedelta
from typing import Literal

from django.db import transaction
from django.http import HttpRequest, HttpResponse
from ninja import Query, Router, Schema
from pydantic import Field

from paydesk.accounts.models import PaymentMethod
from paydesk.api.auth import STAFF_AUTH
from paydesk.api.errors import ApiError
from paydesk.api.idempotency import idempotent
from paydesk.api.paging import payments_paged
from paydesk.api.schemas import (
    DAY,
    ERRORS,
    Input,
    MoneyOut,
    SingleLine,
    StaffPaymentListOut,
    StaffPaymentOut,
    json_response,
    staff_payment_out,
)
from paydesk.api.staff.common import staff_caller, staff_customer, staff_payment
from paydesk.banktransfers.selectors import is_incoming_transfer
from paydesk.banktransfers.services import transfer_complete
from paydesk.credits.selectors import credits_awaiting_approval
from paydesk.credits.services import (
    credit_approve,
    credit_refuse,
    is_held,
    staff_payment_add,
)
from paydesk.credits.services import staff_payment_complete as complete_under_four_eyes
from paydesk.ledger.models import Payment, PaymentStatus
from paydesk.ledger.selectors import PaymentFilters, payment_filter
from paydesk.ledger.services import payment_cancel
from paydesk.notifications.services import notify_payment_received
from paydesk.shapes import description_search_also, money

router = Router(tags=["staff"], auth=STAFF_AUTH)


class StaffPaymentQuery(Input):
    customer_id: int | None = Field(None, ge=1, le=2**63 - 1)
    status: Literal["pending", "completed", "cancelled"] | None = None
    method: Literal[tuple(PaymentMethod.values)] | None = None  # type: ignore[valid-type]
    q: str | None = Field(None, max_length=100)
    date_from: str | None = DAY
    date_to: str | None = DAY
    sort: Literal["-date", "date", "-total", "total"] = "-date"
    after: str | None = Field(None, max_length=200)
    before: str | None = Field(None, max_length=200)
    limit: int = Field(50, ge=1, le=200)


def _day(text: str | None, field: str) -> date | None:
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise ApiError(
            400, "invalid_request", f"{field}: not a date (YYYY-MM-DD).", field
        ) from None


@router.get(
    "/payments", response={200: StaffPaymentListOut, **ERRORS}, summary="Payments of everyone"
)
def staff_payments(request: HttpRequest, query: Query[StaffPaymentQuery]) -> dict[str, object]:
    """Every customer's payments (or one's, with customer_id); dates are whole UTC days."""
    staff_caller(request)
    first, last = _day(query.date_from, "date_from"), _day(query.date_to, "date_to")
    text = (query.q or "").strip()
    filters = PaymentFilters(
        status=query.status or "",
        method=query.method or "",
        text=text,
        text_stored_as=description_search_also(text),
        start=datetime.combine(first, time.min, tzinfo=UTC) if first else None,
        end=datetime.combine(last + timedelta(days=1), time.min, tzinfo=UTC)
        if last and last < date(9999, 12, 31)
        else None,
    )
    rows = Payment.objects.select_related("customer")
    if query.customer_id is not None:
        rows = rows.filter(customer_id=query.customer_id)
    return payments_paged(
        queryset=payment_filter(queryset=rows, filters=filters),
        query=query,
        render=staff_payment_out,
    )


class StaffPaymentIn(Input):
    customer_id: int = Field(ge=1, le=2**63 - 1)
    total: str = Field(max_length=40, examples=["-10.00"], description="Negative = purchase.")
    description: SingleLine = Field(max_length=1001, examples=["DID rental #renewal for March"])
    status: Literal["completed", "pending", "cancelled"] = "completed"
    fee: str | None = Field(None, max_length=40)
    allow_overdraft: bool = False
    email_confirmation: bool = False


@router.post(
    "/payments",
    response={201: StaffPaymentOut, 202: StaffPaymentOut, **ERRORS},
    summary="Add a payment or purchase",
)
@idempotent
def staff_payment_new(request: HttpRequest, payload: StaffPaymentIn) -> HttpResponse:
    """A top-up (positive total) or purchase (negative); a purchase past the available credit
    is refused (422 insufficient_credit) unless allow_overdraft. A completed credit above the
    four-eyes threshold is held: 202 with the pending payment, until a second Finance user
    approves it (`/payments/{reference}/approve`)."""
    caller = staff_caller(request, write=True)
    customer = staff_customer(payload.customer_id)
    with transaction.atomic():
        payment = staff_payment_add(
            customer=customer,
            total=payload.total,
            description=payload.description,
            status=payload.status,
            fee=payload.fee,
            allow_overdraft=payload.allow_overdraft,
            email_confirmation=payload.email_confirmation,
            actor=caller.user,
        )
        if payload.email_confirmation:
            notify_payment_received(payment=payment)
    status = 202 if is_held(payment) else 201
    return json_response(status, staff_payment_out(payment), StaffPaymentOut)


class CompleteIn(Input):
    total: str | None = Field(
        None, max_length=40, description="The amount received, when it differs."
    )
    currency: str | None = Field(
        None, max_length=3, description="Bank transfers: the currency received."
    )
    allow_overdraft: bool = False


@router.post(
    "/payments/{reference}/complete",
    response={200: StaffPaymentOut, 202: StaffPaymentOut, **ERRORS},
    summary="Complete a pending payment",
)
@idempotent
def staff_payment_complete(
    request: HttpRequest, reference: str, payload: CompleteIn | None = None
) -> HttpResponse:
    """A bank transfer completes with the amount received under the two-person rule: 202 when
    this was the first of two approvals (still pending). A manual credit above the four-eyes
    threshold (or held for approval) completes only by a Finance user other than the one who
    entered it, with the amount entered (422 approval_refused otherwise). Another payment
    completed for more than it expected, above the threshold: 202, still pending, the request
    recorded until a second Finance user approves it (`/payments/{reference}/approve`)."""
    caller = staff_caller(request, write=True)
    payment = staff_payment(reference)
    payload = payload or CompleteIn(total=None, currency=None)
    if is_incoming_transfer(payment):
        done = transfer_complete(
            payment=payment.pk,
            actor=caller.user,
            received_amount=payload.total or payment.total,
            received_currency=payload.currency or payment.customer.currency,
        )
    else:
        done = complete_under_four_eyes(
            payment=payment.pk,
            actor=caller.user,
            total=payload.total,
            allow_overdraft=payload.allow_overdraft,
        )
    status = 202 if done.status == PaymentStatus.PENDING else 200
    return json_response(status, staff_payment_out(done), StaffPaymentOut)


class CancelIn(Input):
    reason: SingleLine = Field(
        max_length=500,
        examples=["Funds never arrived #customer asked by phone"],
        description="The customer sees this reason; anything after # is for staff only.",
    )


@router.post(
    "/payments/{reference}/cancel",
    response={200: StaffPaymentOut, **ERRORS},
    summary="Cancel a pending payment",
)
@idempotent
def staff_payment_cancel(request: HttpRequest, reference: str, payload: CancelIn) -> HttpResponse:
    caller = staff_caller(request, write=True)
    payment = staff_payment(reference)
    done = payment_cancel(payment=payment.pk, reason=payload.reason, actor=caller.user)
    return json_response(200, staff_payment_out(done), StaffPaymentOut)


# --- four eyes on manual credits -------------------------------------------------------------


class CreditAwaitingOut(Schema):
    payment: StaffPaymentOut
    entered_by: str
    entered_at: datetime
    email_confirmation: bool
    reason: str = Field(
        description="Why it waits, with the amounts and the threshold (staff only: the customer "
        "reads 'Awaiting approval by the provider.')."
    )
    requested_total: MoneyOut | None = Field(
        description="A request to complete the payment for more than its total: the amount asked "
        "(account currency), credited on approval. Null for a manual credit held as entered."
    )


@router.get(
    "/approvals",
    response={200: list[CreditAwaitingOut], **ERRORS},
    summary="Manual credits awaiting a second Finance user, oldest first",
)
def credits_awaiting(
    request: HttpRequest, limit: int = Query(100, ge=1, le=500)
) -> list[dict[str, object]]:
    staff_caller(request)
    return [
        {
            "payment": staff_payment_out(payment),
            "entered_by": payment.credit_approval.requested_by.email,
            "entered_at": payment.credit_approval.requested_at,
            "email_confirmation": payment.credit_approval.email_confirmation,
            "reason": payment.credit_approval.reason or payment.pending_reason,
            "requested_total": None
            if payment.credit_approval.requested_total is None
            else money(payment.credit_approval.requested_total, payment.customer.currency),
        }
        for payment in credits_awaiting_approval()[:limit]
    ]


@router.post(
    "/payments/{reference}/approve",
    response={200: StaffPaymentOut, **ERRORS},
    summary="Approve a manual credit awaiting a second Finance user",
)
@idempotent
def staff_credit_approve(request: HttpRequest, reference: str) -> HttpResponse:
    """Credits it (200, completed). 422 approval_refused for the person who entered it; 409 when
    it was already approved or refused; 422 credit_error when it is not awaiting approval."""
    caller = staff_caller(request, write=True)
    done = credit_approve(payment=staff_payment(reference).pk, actor=caller.user)
    return json_response(200, staff_payment_out(done), StaffPaymentOut)


@router.post(
    "/payments/{reference}/refuse",
    response={200: StaffPaymentOut, **ERRORS},
    summary="Refuse a manual credit awaiting approval (it is cancelled with the reason)",
    description="A request to complete a payment for more than it expected is withdrawn "
    "instead: 200 with the payment still pending; the reason goes to the audit log.",
)
@idempotent
def staff_credit_refuse(request: HttpRequest, reference: str, payload: CancelIn) -> HttpResponse:
    caller = staff_caller(request, write=True)
    done = credit_refuse(
        payment=staff_payment(reference).pk, actor=caller.user, reason=payload.reason
    )
    return json_response(200, staff_payment_out(done), StaffPaymentOut)
