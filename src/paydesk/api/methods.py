"""Customer endpoints for saved payment methods (issue 14): list, set the default, remove. The
caller's own customer only: another customer's method → 404; a user who may not manage billing
(paydesk.accounts.billing_managers) → 403; changes need the key's `pay` scope and an
Idempotency-Key is honoured as on every POST. Paying with a saved method is `POST /payments`
with `payment_method` = the saved id (api/customer.py)."""

# No `from __future__ import annotations`: ninja reads these signatures at import time.

from datetime import datetime

from django.http import HttpRequest, HttpResponse
from ninja import Field, Router, Schema

from paydesk.accounts.models import Customer
from paydesk.api.auth import billing_customer, caller_of
from paydesk.api.idempotency import idempotent
from paydesk.api.schemas import ERRORS, json_response
from paydesk.methods.services import (
    SavedMethod,
    saved_method_default_set,
    saved_method_remove,
    saved_methods_list,
)

router = Router(tags=["payment methods"])


class SavedMethodOut(Schema):
    id: str = Field(examples=["pm_1PqLmN2eZvKYlo2C"])
    type: str = Field(examples=["card"], description="card or sepa_debit")
    label: str = Field(examples=["Card •••• 4242 (default)"])
    brand: str
    last4: str
    exp_month: int | None
    exp_year: int | None
    is_default: bool
    expiry: str = Field(description="'' , 'expiring' (within 30 days) or 'expired'")
    mandate: str = Field(description="SEPA Direct Debit: the mandate's id at Stripe")
    mandate_reference: str = Field(
        description="SEPA Direct Debit: the mandate's reference, as the customer's bank shows it"
    )
    added: datetime | None = Field(description="When the method was saved")


class SavedMethodListOut(Schema):
    data: list[SavedMethodOut]


def _method_out(method: SavedMethod) -> dict[str, object]:
    return {
        "id": method.id,
        "type": method.type,
        "label": method.label,
        "brand": method.brand,
        "last4": method.last4,
        "exp_month": method.exp_month,
        "exp_year": method.exp_year,
        "is_default": method.is_default,
        "expiry": method.expiry,
        "mandate": method.mandate,
        "mandate_reference": method.mandate_reference,
        "added": method.added,
    }


def _own(request: HttpRequest, *, change: bool = False) -> Customer:
    return billing_customer(request, write=change)


def _listed(customer: Customer) -> HttpResponse:
    data = {"data": [_method_out(m) for m in saved_methods_list(customer=customer)]}
    return json_response(200, data, SavedMethodListOut)


@router.get(
    "/payment-methods",
    response={200: SavedMethodListOut, **ERRORS},
    summary="List saved payment methods",
)
def method_list(request: HttpRequest) -> HttpResponse:
    """The saved cards and SEPA mandates as Stripe has them, the default first."""
    return _listed(_own(request))


@router.post(
    "/payment-methods/{method_id}/default",
    response={200: SavedMethodListOut, **ERRORS},
    summary="Make a saved payment method the default",
)
@idempotent
def method_default(request: HttpRequest, method_id: str) -> HttpResponse:
    customer = _own(request, change=True)
    saved_method_default_set(
        customer=customer,
        user=caller_of(request).user,
        payment_method=method_id,
    )
    return _listed(customer)


@router.post(
    "/payment-methods/{method_id}/remove",
    response={200: SavedMethodListOut, **ERRORS},
    summary="Remove a saved payment method (detached at Stripe)",
)
@idempotent
def method_remove(request: HttpRequest, method_id: str, next_default: str = "") -> HttpResponse:
    """`?next_default=pm_…`: removing the default while others remain, which one is the
    default from now on (422 with `field: next_default` without it)."""
    customer = _own(request, change=True)
    saved_method_remove(
        customer=customer,
        user=caller_of(request).user,
        payment_method=method_id,
        next_default=next_default[:120],
    )
    return _listed(customer)
