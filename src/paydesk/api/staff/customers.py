"""Staff endpoints: customers (list, one, create and change: Administrators only). One customer
and a change answer with its edit version as the ETag; a change sent with it as If-Match is
refused (412 `changed_since_read`) when someone changed the customer since (docs/api.md)."""

# No `from __future__ import annotations`: ninja reads these signatures at import time.

from django.http import HttpRequest, HttpResponse
from ninja import Query, Router, Schema
from pydantic import Field

from paydesk.accounts.edits import customer_version
from paydesk.accounts.models import Customer
from paydesk.accounts.services import customer_create, customer_update
from paydesk.api.auth import STAFF_AUTH
from paydesk.api.errors import ApiError
from paydesk.api.idempotency import idempotent
from paydesk.api.schemas import ERRORS, ErrorOut, Input, MoneyOut, SingleLine, json_response, money
from paydesk.api.staff.common import staff_caller, staff_customer

router = Router(tags=["staff"], auth=STAFF_AUTH)


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
    name: SingleLine | None = Field(None, max_length=200)
    debit_limit: str | None = Field(None, max_length=40, examples=["100.00"])
    minimum_payment: str | None = Field(None, max_length=40)
    topup_currencies: list[str] | None = Field(None, max_length=50)
    show_balance: bool | None = None
    show_payments: bool | None = None
    show_pending_bank_payments: bool | None = None
    allow_vouchers: bool | None = None
    blocked_methods: list[str] | None = Field(None, max_length=20)


class CustomerIn(CustomerChanges):
    name: SingleLine = Field(max_length=200)
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


def _with_etag(customer: Customer) -> HttpResponse:
    """The customer as JSON, its edit version as the ETag (paydesk.accounts.edits)."""
    response = json_response(200, customer_out(customer), CustomerOut)
    response["ETag"] = f'"{customer_version(customer)}"'
    return response


def _if_match(request: HttpRequest) -> int | None:
    """The edit version an `If-Match` names (the ETag of a GET), None without the header or
    with `*`; 412 `changed_since_read` when it names none (a weak tag never matches)."""
    header = request.headers.get("If-Match")
    if header is None:
        return None
    tags = [tag.strip() for tag in header.split(",")]
    if "*" in tags:
        return None
    versions = [
        int(tag[1:-1])
        for tag in tags
        if len(tag) > 2 and tag[0] == tag[-1] == '"' and tag[1:-1].isdigit() and len(tag) < 21
    ]
    if not versions:
        raise ApiError(
            412,
            "changed_since_read",
            "If-Match names no version of this customer: send the ETag of GET "
            "/staff/customers/{id}.",
        )
    return max(versions)


@router.get(
    "/customers/{customer_id}", response={200: CustomerOut, **ERRORS}, summary="One customer"
)
def customer_detail(request: HttpRequest, customer_id: int) -> HttpResponse:
    """The ETag header carries the customer's edit version: send it back as If-Match with a
    PATCH to have it refused (412) when someone changed the customer in between."""
    staff_caller(request)
    return _with_etag(staff_customer(customer_id))


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
    return json_response(201, customer_out(customer), CustomerOut)


@router.patch(
    "/customers/{customer_id}",
    response={200: CustomerOut, 412: ErrorOut, **ERRORS},
    summary="Change a customer (Admin); the currency never changes",
)
def customer_change(
    request: HttpRequest, customer_id: int, payload: CustomerChanges
) -> HttpResponse:
    """With `If-Match: "<ETag of a GET>"`: 412 `changed_since_read` (nothing saved) when the
    customer was changed since that read, by anyone (its settings, contacts or billing
    profile). Without If-Match the change is saved as before (last write wins)."""
    caller = staff_caller(request, write=True)
    customer = staff_customer(customer_id)
    saved = customer_update(
        customer=customer, actor=caller.user, version=_if_match(request), **_changes(payload)
    )
    return _with_etag(saved)
