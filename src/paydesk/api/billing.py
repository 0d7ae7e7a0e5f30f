"""The caller's billing profile: GET and PUT /api/v1/billing/profile, for portal users with
*manage billing* (their own customer only: no customer id is ever read from the request).

Thin: reads and writes through paydesk.accounts.billing; a refused field is a 422 with its code
(`invalid_tax_id`, `invalid_billing_profile`) and the field's name.
"""

# No `from __future__ import annotations`: ninja reads these signatures at import time.

from datetime import datetime

from django.http import HttpRequest, HttpResponse
from ninja import Router, Schema
from pydantic import Field

from paydesk.accounts.billing import (
    MAX_CONTACTS,
    PROFILE_FIELDS,
    BillingProfileView,
    billing_profile_get,
    billing_profile_update,
)
from paydesk.api.auth import billing_customer, caller_of
from paydesk.api.idempotency import idempotent
from paydesk.api.schemas import ERRORS, SingleLine, json_response

router = Router(tags=["billing"])


class BillingProfileOut(Schema):
    legal_name: str
    address_line1: str
    address_line2: str
    city: str
    postal_code: str
    region: str
    country: str = Field(description="ISO 3166-1 alpha-2, or empty")
    tax_id: str = Field(description="Compact; EU VAT numbers with their country prefix")
    tax_id_checked: bool = Field(
        description="Checked by its format and check digits (offline, never looked up online)"
    )
    contacts: list[str] = Field(description="Billing contacts: they receive payment emails")
    updated_at: datetime | None
    updated_by_staff: bool


class BillingProfileIn(Schema):
    """Every field is optional: a field left out keeps its value."""

    legal_name: SingleLine | None = Field(None, max_length=200)
    address_line1: SingleLine | None = Field(None, max_length=200)
    address_line2: SingleLine | None = Field(None, max_length=200)
    city: SingleLine | None = Field(None, max_length=100)
    postal_code: SingleLine | None = Field(None, max_length=20)
    region: SingleLine | None = Field(None, max_length=100)
    country: str | None = Field(None, max_length=2, examples=["DE"])
    tax_id: str | None = Field(None, max_length=40, examples=["DE136695976"])
    contacts: list[str] | None = Field(None, max_length=MAX_CONTACTS)


def _out(shown: BillingProfileView) -> dict[str, object]:
    profile = shown.profile
    return {
        **{name: getattr(profile, name) for name in PROFILE_FIELDS},
        "tax_id_checked": shown.tax_id_checked,
        "contacts": shown.contacts,
        "updated_at": profile.updated_at,
        "updated_by_staff": shown.changed_by_staff,
    }


@router.get(
    "/billing/profile",
    response={200: BillingProfileOut, **ERRORS},
    summary="The billing profile",
)
def billing_profile(request: HttpRequest) -> dict[str, object]:
    customer = billing_customer(request)
    return _out(billing_profile_get(customer=customer))


@router.put(
    "/billing/profile",
    response={200: BillingProfileOut, **ERRORS},
    summary="Change the billing profile",
)
@idempotent
def billing_profile_put(request: HttpRequest, payload: BillingProfileIn) -> HttpResponse:
    """Fields sent are set (an empty string clears one); the tax id is checked offline against
    the country sent, else the profile's: 422 `invalid_tax_id` with the reason."""
    customer = billing_customer(request, write=True)
    changes = payload.model_dump(exclude_none=True)
    billing_profile_update(customer=customer, actor=caller_of(request).user, **changes)
    return json_response(200, _out(billing_profile_get(customer=customer)), BillingProfileOut)
