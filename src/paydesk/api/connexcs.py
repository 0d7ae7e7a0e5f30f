"""ConnexCS-compatible endpoints (spec §10), so a provider's existing scripts keep working:

- `POST /api/cp/payment` with `{company_id, description, total, status, currency}` records a
  payment or purchase for customer `company_id` (through paydesk.credits.services.
  staff_payment_add: a completed credit above the four-eyes threshold answers 202, pending;
  `currency` must be the account's; `status` paid/completed (default), pending or cancelled);
- `GET /api/cp/payment?company_id=…&_startRow=…&_endRow=…&_sortModel[0][colId]=…&
  _sortModel[0][sort]=asc|desc` lists that customer's payments as a row window (ag-Grid's
  server-side row model, which the ConnexCS UI uses): `{"rows": [...], "lastRow": n}`.
Staff keys or staff sessions only. Money stays a decimal string here as well (Paydesk never
writes a float), which a script that parses the number reads the same way.
The row window is OFFSET-based by nature (the caller names row numbers) and capped at
MAX_WINDOW rows per request; the keyset-paged list is /api/v1/staff/payments.
"""

# No `from __future__ import annotations`: ninja reads these signatures at import time.

import re

from django.http import HttpRequest, HttpResponse
from ninja import NinjaAPI, Schema
from pydantic import Field

from paydesk.accounts.models import Customer
from paydesk.api.auth import STAFF_AUTH, CallerThrottle, caller_of
from paydesk.api.errors import ApiError, install_error_handlers
from paydesk.api.idempotency import idempotent
from paydesk.api.models import ApiScope
from paydesk.api.parsing import OneValueParser
from paydesk.api.schemas import ERRORS, Input, SingleLine, json_response
from paydesk.credits.services import is_held, staff_payment_add
from paydesk.ledger.models import Payment, PaymentStatus
from paydesk.money import normalize_currency, plain_amount
from paydesk.shapes import payment_description_shown

MAX_WINDOW = 1000
SORT_COLUMNS = {
    "payment.payment_time": "occurred_at",
    "payment_time": "occurred_at",
    "payment.total": "total",
    "total": "total",
    "payment.id": "id",
    "id": "id",
}
STATUSES = {
    "paid": PaymentStatus.COMPLETED,
    "completed": PaymentStatus.COMPLETED,
    "complete": PaymentStatus.COMPLETED,
    "pending": PaymentStatus.PENDING,
    "cancelled": PaymentStatus.CANCELLED,
    "canceled": PaymentStatus.CANCELLED,
}

cp_api = NinjaAPI(
    title="Paydesk ConnexCS-compatible API",
    version="1",
    auth=STAFF_AUTH,
    parser=OneValueParser(),
    throttle=[CallerThrottle()],
    urls_namespace="connexcs",
    docs_url=None,
    openapi_url="/openapi.json",
)
install_error_handlers(cp_api)


class CpPaymentIn(Input):
    company_id: int = Field(ge=1, le=2**63 - 1)
    description: SingleLine = Field(max_length=1001)
    total: str = Field(max_length=40, examples=["-10.00"])
    status: str = Field("paid", max_length=20)
    currency: str | None = Field(None, max_length=3)


class CpPaymentOut(Schema):
    id: int
    company_id: int
    reference: str
    description: str
    total: str
    currency: str
    status: str
    payment_time: str
    balance_after: str | None


class CpListOut(Schema):
    rows: list[CpPaymentOut]
    lastRow: int  # noqa: N815 - ag-Grid's name


def _row(payment: Payment, currency: str) -> dict[str, object]:
    return {
        "id": payment.pk,
        "company_id": payment.customer_id,
        "reference": payment.reference,
        "description": payment_description_shown(payment),
        "total": plain_amount(payment.total, currency),
        "currency": currency,
        "status": payment.status,
        "payment_time": payment.occurred_at.isoformat(),
        "balance_after": None
        if payment.balance_after is None
        else plain_amount(payment.balance_after, currency),
    }


def _customer(company_id: int) -> Customer:
    customer = Customer.objects.filter(pk=company_id).first()
    if customer is None:
        raise ApiError(404, "not_found", "No company with that id.", "company_id")
    return customer


@cp_api.post(
    "/payment",
    response={201: CpPaymentOut, 202: CpPaymentOut, **ERRORS},
    summary="Record a payment",
)
@idempotent
def cp_payment_create(request: HttpRequest, payload: CpPaymentIn) -> HttpResponse:
    """201 with the payment; 202 with the pending payment when a completed credit is above the
    four-eyes threshold and waits for a second Finance user (POST
    /api/v1/staff/payments/{reference}/approve)."""
    caller = caller_of(request)
    if ApiScope.PAY not in caller.scopes:
        raise ApiError(403, "insufficient_scope", "This API key is read-only (no `pay` scope).")
    customer = _customer(payload.company_id)
    if payload.currency and normalize_currency(payload.currency) != customer.currency:
        raise ApiError(
            422,
            "invalid_currency",
            f"This company's account is in {customer.currency}.",
            "currency",
        )
    status = STATUSES.get(payload.status.strip().lower())
    if status is None:
        raise ApiError(400, "invalid_request", "status: paid, pending or cancelled.", "status")
    payment = staff_payment_add(
        customer=customer,
        total=payload.total,
        description=payload.description,
        status=status,
        actor=caller.user,
    )
    code = 202 if is_held(payment) else 201
    return json_response(code, _row(payment, customer.currency), CpPaymentOut)


def _int_param(request: HttpRequest, name: str, default: int) -> int:
    raw = request.GET.get(name)
    if raw is None or raw == "":
        return default
    if not re.fullmatch(r"\d{1,12}", raw):
        raise ApiError(400, "invalid_request", f"{name} must be a whole number.", name)
    return int(raw)


@cp_api.get("/payment", response={200: CpListOut, **ERRORS}, summary="List a company's payments")
def cp_payment_list(request: HttpRequest, company_id: int) -> dict[str, object]:
    """Rows `_startRow` (inclusive) to `_endRow` (exclusive), sorted by `_sortModel[0]`."""
    if not 1 <= company_id <= 2**63 - 1:
        raise ApiError(404, "not_found", "No company with that id.", "company_id")
    customer = _customer(company_id)
    start = _int_param(request, "_startRow", 0)
    end = _int_param(request, "_endRow", start + 100)
    if end < start or end - start > MAX_WINDOW:
        raise ApiError(
            400, "invalid_request", f"Ask for 0 to {MAX_WINDOW} rows at a time.", "_endRow"
        )
    column = request.GET.get("_sortModel[0][colId]", "payment.payment_time")
    direction = request.GET.get("_sortModel[0][sort]", "desc").lower()
    field = SORT_COLUMNS.get(column)
    if field is None or direction not in ("asc", "desc"):
        raise ApiError(400, "invalid_request", "Unknown sort column or direction.", "_sortModel")
    sign = "-" if direction == "desc" else ""
    rows = Payment.objects.filter(customer=customer)
    total_rows = rows.count()
    window = rows.order_by(f"{sign}{field}", f"{sign}id")[start:end]
    return {"rows": [_row(p, customer.currency) for p in window], "lastRow": total_rows}
