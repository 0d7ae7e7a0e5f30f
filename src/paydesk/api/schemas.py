"""The API's JSON shapes. Money is always `{"amount": "<decimal string>", "currency": "USD"}`,
never a number; a customer's payment never carries the private staff comment."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Annotated, Any, Literal

from django.http import HttpResponse
from ninja import Schema
from pydantic import AfterValidator, Field, model_validator
from pydantic_core import PydanticCustomError

from paydesk.ledger.models import Payment
from paydesk.shapes import money, payment_out
from paydesk.text import CODE, control_characters_refusal


class MoneyOut(Schema):
    amount: str = Field(examples=["10.00"], pattern=r"^-?\d+(\.\d+)?$")
    currency: str = Field(examples=["USD"], min_length=3, max_length=3)


class PaymentOut(Schema):
    reference: str
    status: str
    method: str
    description: str
    total: MoneyOut
    created_at: datetime
    occurred_at: datetime
    completed_at: datetime | None
    cancelled_at: datetime | None
    balance_after: MoneyOut | None
    reason: str = Field(
        "", description="Why it was cancelled, or why it is still pending (empty otherwise)."
    )
    original: str = Field(
        "",
        description="The reference of the earlier payment this one follows (a late payment for "
        "a cancelled one); empty for a payment that stands alone.",
    )
    relation: str = Field(
        "",
        description="How it follows `original`: `late_payment`, `refund`, `chargeback`, "
        "`chargeback_reversed`, or for a voucher bonus `bonus_reversed` or `bonus_restored`.",
    )
    refunded: MoneyOut | None = Field(
        None,
        description="For a completed top-up: what its completed refunds gave back so far "
        "(`0.00` when none); null for any other payment.",
    )


class StaffPaymentOut(PaymentOut):
    needs_attention: bool
    customer_id: int
    staff_comment: str
    fee: MoneyOut | None
    cancel_reason: str
    cancel_note: str = Field(
        "",
        description="Staff only: the cancel reason's part after `#` (the customer never sees it).",
    )


def staff_payment_out(payment: Payment) -> dict[str, object]:
    currency = payment.customer.currency
    return {
        **payment_out(payment, currency, show_balance=True),
        "customer_id": payment.customer_id,
        "staff_comment": payment.staff_comment,
        "fee": None if payment.fee is None else money(payment.fee, currency),
        "cancel_reason": payment.cancel_reason,
        "cancel_note": payment.cancel_note,
        "needs_attention": payment.attention_needed,
    }


class PaymentListOut(Schema):
    data: list[PaymentOut]
    has_next: bool
    has_previous: bool
    next_cursor: str | None
    previous_cursor: str | None


class StaffPaymentListOut(Schema):
    data: list[StaffPaymentOut]
    has_next: bool
    has_previous: bool
    next_cursor: str | None
    previous_cursor: str | None


class BalanceOut(Schema):
    balance: MoneyOut
    debit_limit: MoneyOut
    available_credit: MoneyOut


# A day as YYYY-MM-DD (strings, not pydantic dates, which would also take a Unix time like "0").
DAY = Field(None, pattern=r"^\d{4}-\d{2}-\d{2}$", json_schema_extra={"format": "date"})
Sort = Literal["-date", "date", "-total", "total"]
Status = Literal["pending", "completed", "cancelled"]


Method = Literal[
    "bank_transfer", "paypal", "card", "razorpay", "paystack", "nowpayments", "voucher", "manual"
]


def _one_line(value: str) -> str:
    if refusal := control_characters_refusal(value):
        raise PydanticCustomError(CODE, refusal)
    return value


# Free text (paydesk/text.py): a description, comment, reason, name, note or address line.
# Refused as a 400 invalid_request naming the field, with the message the pages show.
SingleLine = Annotated[str, AfterValidator(_one_line)]


class Input(Schema):
    """A request body or query string. Its text may not hold a NUL character: PostgreSQL cannot
    store one, and no legitimate description, name or code needs it."""

    @model_validator(mode="before")
    @classmethod
    def _no_nul_characters(cls, data: Any) -> Any:
        raw = getattr(data, "_obj", data)  # django-ninja hands validators a DjangoGetter
        if isinstance(raw, Mapping):
            for name, value in raw.items():
                if isinstance(value, str) and "\x00" in value:
                    raise ValueError(f"{name}: text cannot contain NUL characters")
        return data


class PaymentQuery(Input):
    status: Status | None = None
    method: Method | None = None
    q: str | None = Field(None, max_length=100)
    date_from: str | None = DAY
    date_to: str | None = DAY
    sort: Sort = "-date"
    after: str | None = Field(None, max_length=200)
    before: str | None = Field(None, max_length=200)
    limit: int = Field(50, ge=1, le=200)


class MakePaymentIn(Input):
    method: str = Field(max_length=20, examples=["bank_transfer"])
    amount: str | None = Field(None, max_length=40, examples=["100.00"])
    currency: str = Field(max_length=3, examples=["EUR"])
    code: str | None = Field(None, max_length=64, description="The voucher code (voucher only).")
    payment_method: str | None = Field(
        None,
        max_length=255,
        description="Card only: the payment-method id (pm_…) Stripe.js made in the browser, or "
        "the id of one of your saved payment methods (a card or a SEPA Direct Debit mandate, "
        "GET /payment-methods; a mandate pays as sepa_debit, in EUR). Never a card number.",
    )


class BankDetailsOut(Schema):
    beneficiary_name: str
    account_number: str
    bank_name: str
    bank_address: str
    swift: str
    reference: str


class MakePaymentOut(Schema):
    method: str
    outcome: Literal["pending", "completed", "cancelled", "armed", "redirect"]
    payment: PaymentOut | None
    charged: MoneyOut | None = None
    bank_details: BankDetailsOut | None = None
    redirect_url: str | None = None
    message: str


class ErrorDetail(Schema):
    code: str
    message: str
    field: str | None


class ErrorOut(Schema):
    error: ErrorDetail


# The error answers every endpoint may give (the body is always ErrorOut).
ERRORS = {code: ErrorOut for code in (400, 401, 403, 404, 409, 422, 429, 503)}


def json_response(status: int, data: object, schema: type[Schema]) -> HttpResponse:
    """`data` validated by `schema`, as a JSON answer with `status` (for the endpoints whose
    status varies: 201 or 200, 202 when a payment is held)."""
    body = schema.model_validate(data).model_dump_json()
    return HttpResponse(body, status=status, content_type="application/json; charset=utf-8")
