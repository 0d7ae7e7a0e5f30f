"""Staff endpoints under /api/v1/staff/: customers and payments across customers.

For staff keys and staff sessions only; every staff role reads, the services refuse what a role
may not do (Support moves no money, only Administrators change customers: 403). A staff key
without the `pay` scope is read-only. Money moves only through paydesk.ledger.services and
paydesk.banktransfers.services (bank transfers complete under the two-person rule).
"""

# No `from __future__ import annotations`: ninja reads these signatures at import time.

import json
from datetime import UTC, date, datetime, time, timedelta
from typing import Literal

from django.db import transaction
from django.http import HttpRequest, HttpResponse
from ninja import Query, Router, Schema
from pydantic import Field

from paydesk.accounts.models import Customer, PaymentMethod
from paydesk.accounts.services import customer_create, customer_update
from paydesk.api.auth import STAFF_AUTH, Caller
from paydesk.api.errors import ApiError
from paydesk.api.idempotency import idempotent, idempotent_storing
from paydesk.api.models import ApiScope
from paydesk.api.paging import payments_paged
from paydesk.api.schemas import (
    DAY,
    ErrorOut,
    Input,
    MoneyOut,
    StaffPaymentListOut,
    StaffPaymentOut,
    money,
    staff_payment_out,
)
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
from paydesk.references import canonical_payment_reference
from paydesk.vouchers.models import VoucherBatch
from paydesk.vouchers.selectors import voucher_batch_status_counts
from paydesk.vouchers.services import voucher_batch_issue

router = Router(tags=["staff"], auth=STAFF_AUTH)


ERRORS = {code: ErrorOut for code in (400, 401, 403, 404, 409, 422, 429)}


def staff_caller(request: HttpRequest, *, write: bool = False) -> Caller:
    caller: Caller = request.auth  # type: ignore[attr-defined]
    if not caller.user.is_staff:
        raise ApiError(403, "permission_denied", "These endpoints are for staff.")
    if write and ApiScope.PAY not in caller.scopes:
        raise ApiError(403, "insufficient_scope", "This API key is read-only (no `pay` scope).")
    return caller


def _json(status: int, data: object, schema: type) -> HttpResponse:
    body = schema.model_validate(data).model_dump_json()
    return HttpResponse(body, status=status, content_type="application/json; charset=utf-8")


# --- customers -------------------------------------------------------------------------------


class CustomerOut(Schema):
    id: int
    name: str
    slug: str
    currency: str
    balance: MoneyOut
    debit_limit: MoneyOut
    minimum_payment: MoneyOut
    available_credit: MoneyOut
    topup_currencies: list[str]
    show_balance: bool | None
    show_payments: bool | None
    show_pending_bank_payments: bool | None
    allow_vouchers: bool | None
    blocked_methods: list[str] | None


class CustomerListOut(Schema):
    data: list[CustomerOut]
    next_cursor: str | None


class CustomerChanges(Input):
    name: str | None = Field(None, max_length=200)
    debit_limit: str | None = Field(None, max_length=40, examples=["100.00"])
    minimum_payment: str | None = Field(None, max_length=40)
    topup_currencies: list[str] | None = Field(None, max_length=50)
    show_balance: bool | None = None
    show_payments: bool | None = None
    show_pending_bank_payments: bool | None = None
    allow_vouchers: bool | None = None
    blocked_methods: list[str] | None = Field(None, max_length=20)


class CustomerIn(CustomerChanges):
    name: str = Field(max_length=200)  # type: ignore[assignment]
    currency: str = Field(max_length=3, examples=["USD"])


def customer_out(customer: Customer) -> dict[str, object]:
    c = customer.currency
    return {
        "id": customer.pk,
        "name": customer.name,
        "slug": customer.slug,
        "currency": c,
        "balance": money(customer.balance, c),
        "debit_limit": money(customer.debit_limit, c),
        "minimum_payment": money(customer.minimum_payment, c),
        "available_credit": money(customer.available_credit, c),
        "topup_currencies": list(customer.topup_currencies),
        "show_balance": customer.show_balance,
        "show_payments": customer.show_payments,
        "show_pending_bank_payments": customer.show_pending_bank_payments,
        "allow_vouchers": customer.allow_vouchers,
        "blocked_methods": customer.blocked_methods,
    }


def _customer(customer_id: int) -> Customer:
    customer = Customer.objects.filter(pk=customer_id).first()
    if customer is None:
        raise ApiError(404, "not_found", "No customer with that id.", "customer_id")
    return customer


class CustomerQuery(Input):
    q: str | None = Field(None, max_length=100)
    after: int | None = Field(None, ge=0, le=2**63 - 1)
    limit: int = Field(50, ge=1, le=200)


@router.get("/customers", response={200: CustomerListOut, **ERRORS}, summary="List customers")
def customers(request: HttpRequest, query: Query[CustomerQuery]) -> dict[str, object]:
    """Customers by id, keyset-paged with `after` (the last id seen)."""
    staff_caller(request)
    rows = Customer.objects.order_by("id")
    if query.q:
        rows = rows.filter(name__icontains=query.q)
    if query.after is not None:
        rows = rows.filter(id__gt=query.after)
    page = list(rows[: query.limit + 1])
    more = len(page) > query.limit
    page = page[: query.limit]
    return {
        "data": [customer_out(c) for c in page],
        "next_cursor": str(page[-1].pk) if more and page else None,
    }


@router.get(
    "/customers/{customer_id}", response={200: CustomerOut, **ERRORS}, summary="One customer"
)
def customer_detail(request: HttpRequest, customer_id: int) -> dict[str, object]:
    staff_caller(request)
    return customer_out(_customer(customer_id))


def _changes(payload: CustomerChanges) -> dict[str, object]:
    return {k: v for k, v in payload.model_dump(exclude_unset=True).items() if k != "currency"}


@router.post(
    "/customers", response={201: CustomerOut, **ERRORS}, summary="Create a customer (Admin)"
)
@idempotent
def customer_new(request: HttpRequest, payload: CustomerIn) -> HttpResponse:
    caller = staff_caller(request, write=True)
    fields = _changes(payload)
    name = fields.pop("name")
    customer = customer_create(
        name=str(name), currency=payload.currency, actor=caller.user, **fields
    )
    return _json(201, customer_out(customer), CustomerOut)


@router.patch(
    "/customers/{customer_id}",
    response={200: CustomerOut, **ERRORS},
    summary="Change a customer (Admin); the currency never changes",
)
def customer_change(
    request: HttpRequest, customer_id: int, payload: CustomerChanges
) -> dict[str, object]:
    caller = staff_caller(request, write=True)
    customer = _customer(customer_id)
    return customer_out(customer_update(customer=customer, actor=caller.user, **_changes(payload)))


# --- payments --------------------------------------------------------------------------------


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
    filters = PaymentFilters(
        status=query.status or "",
        method=query.method or "",
        text=(query.q or "").strip(),
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
    description: str = Field(max_length=1001, examples=["DID rental #renewal for March"])
    status: Literal["completed", "pending", "cancelled"] = "completed"
    fee: str | None = Field(None, max_length=40)
    allow_overdraft: bool = False
    email_confirmation: bool = False


def _staff_payment(reference: str) -> Payment:
    canonical = canonical_payment_reference(reference or "")
    payment = (
        Payment.objects.select_related("customer").filter(reference=canonical).first()
        if canonical
        else None
    )
    if payment is None:
        raise ApiError(404, "not_found", "No payment with that reference.", "reference")
    return payment


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
    customer = _customer(payload.customer_id)
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
    return _json(status, staff_payment_out(payment), StaffPaymentOut)


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
    entered it, with the amount entered (422 approval_refused otherwise)."""
    caller = staff_caller(request, write=True)
    payment = _staff_payment(reference)
    payload = payload or CompleteIn()
    if payment.method == PaymentMethod.BANK_TRANSFER:
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
    return _json(status, staff_payment_out(done), StaffPaymentOut)


class CancelIn(Input):
    reason: str = Field(max_length=500, examples=["Customer asked by phone"])


@router.post(
    "/payments/{reference}/cancel",
    response={200: StaffPaymentOut, **ERRORS},
    summary="Cancel a pending payment",
)
@idempotent
def staff_payment_cancel(request: HttpRequest, reference: str, payload: CancelIn) -> HttpResponse:
    caller = staff_caller(request, write=True)
    payment = _staff_payment(reference)
    done = payment_cancel(payment=payment.pk, reason=payload.reason, actor=caller.user)
    return _json(200, staff_payment_out(done), StaffPaymentOut)


# --- four eyes on manual credits -------------------------------------------------------------


class CreditAwaitingOut(Schema):
    payment: StaffPaymentOut
    entered_by: str
    entered_at: datetime
    email_confirmation: bool


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
    done = credit_approve(payment=_staff_payment(reference).pk, actor=caller.user)
    return _json(200, staff_payment_out(done), StaffPaymentOut)


@router.post(
    "/payments/{reference}/refuse",
    response={200: StaffPaymentOut, **ERRORS},
    summary="Refuse a manual credit awaiting approval (it is cancelled with the reason)",
)
@idempotent
def staff_credit_refuse(request: HttpRequest, reference: str, payload: CancelIn) -> HttpResponse:
    caller = staff_caller(request, write=True)
    done = credit_refuse(
        payment=_staff_payment(reference).pk, actor=caller.user, reason=payload.reason
    )
    return _json(200, staff_payment_out(done), StaffPaymentOut)


# --- voucher batches -------------------------------------------------------------------------


class VoucherBatchIn(Input):
    count: int = Field(ge=1, le=1000, description="At most 1,000 per call.")
    currency: str = Field(max_length=3, examples=["USD"])
    minimum_activation: str = Field("0", max_length=40, description="M: 0 = free credit.")
    multiplier: str = Field("1", max_length=40, description="X: 2 doubles the top-up.")
    addition: str = Field(max_length=40, examples=["25.00"], description="A: added credit.")
    expires_at: datetime | None = None
    note: str = Field("", max_length=200)


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
    codes: list[str] | None = Field(
        None, description="The codes, in the answer that issued them only; never stored."
    )


def voucher_batch_out(batch: VoucherBatch, codes: list[str] | None = None) -> dict[str, object]:
    c = batch.currency
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
    response={201: VoucherBatchOut, **ERRORS},
    summary="Issue a voucher batch (Finance); the codes are in this answer only",
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
    response = _json(201, voucher_batch_out(batch, codes), VoucherBatchOut)
    response["Cache-Control"] = "no-store"
    return response
