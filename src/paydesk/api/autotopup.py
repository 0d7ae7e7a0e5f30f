"""The caller's automatic top-up and low-balance alerts (issue 15), for portal users with
*manage billing* (their own customer only); turning it on, changing it and its review also need
*make payments* (paydesk.autotopup.access). Turning it on takes the customer's consent to the
exact text Paydesk words for the terms: `POST /autotopup/review` gives it, `PUT /autotopup` with
`consent: true` and that `consent_text` records it (who, when). Changes need the key's `pay`
scope; Idempotency-Key is honoured on each. Amounts are strings in the account currency.
"""

# No `from __future__ import annotations`: ninja reads these signatures at import time.

from datetime import datetime

from django.http import HttpRequest, HttpResponse
from ninja import Field, Router, Schema

from paydesk.accounts.models import Customer
from paydesk.api.auth import billing_customer, caller_of
from paydesk.api.errors import ApiError
from paydesk.api.idempotency import idempotent
from paydesk.api.schemas import ERRORS, json_response
from paydesk.autotopup.access import check_may_authorise
from paydesk.autotopup.alerts import alerts_set
from paydesk.autotopup.consent import consent_review, terms_checked, topup_enable
from paydesk.autotopup.models import BalanceAlert, Topup
from paydesk.autotopup.services import settings_for, topup_switch_off
from paydesk.money import plain_amount

router = Router(tags=["automatic top-up"])


class TermsIn(Schema):
    threshold: str = Field(examples=["20.00"], description="Top up when the balance is below")
    amount: str = Field(examples=["50.00"], description="What each top-up credits")
    monthly_cap: str = Field(examples=["200.00"], description="At most this in a calendar month")
    cooldown_minutes: int = Field(60, description="15, 60, 360 or 1440")
    payment_method: str = Field(examples=["pm_1PqLmN2eZvKYlo2C"], description="A saved method")


class EnableIn(TermsIn):
    consent: bool = Field(description="The customer gives the authorisation in consent_text")
    consent_text: str = Field(description="Exactly the text POST /autotopup/review returned")


class ReviewOut(Schema):
    consent_text: str


class TopupOut(Schema):
    id: int
    status: str
    trigger: str
    balance_at_trigger: str
    threshold: str
    amount: str
    payment: str | None = Field(description="The payment's reference, once charged")
    detail: str
    created_at: datetime
    finished_at: datetime | None


class AutoTopupOut(Schema):
    enabled: bool
    suspended: bool
    suspended_reason: str
    threshold: str
    amount: str
    monthly_cap: str
    cooldown_minutes: int
    payment_method: str
    method_label: str
    consent_text: str
    consented_by: str | None
    consented_at: datetime | None
    recent: list[TopupOut]


class AlertsIn(Schema):
    thresholds: list[str] = Field(max_length=5, examples=[["20.00", "5.00"]])
    margin: str = Field("0", examples=["5.00"])


class AlertOut(Schema):
    threshold: str
    margin: str
    armed: bool = Field(description="False after it warned, until the balance climbs back above")


class AlertsOut(Schema):
    data: list[AlertOut]


def _own(request: HttpRequest, *, change: bool = False) -> Customer:
    """The caller's customer, as the billing profile's endpoints check it (the same gate)."""
    return billing_customer(request, write=change)


def _authorising(request: HttpRequest) -> Customer:
    """The caller's customer for turning automatic top-up on or changing it: the billing gate,
    then may this user authorise charges (403 `permission_denied` before the terms are read)."""
    customer = _own(request, change=True)
    check_may_authorise(actor=caller_of(request).user, customer=customer)
    return customer


def _state(customer: Customer) -> HttpResponse:
    row = settings_for(customer)
    currency = customer.currency
    recent = Topup.objects.filter(customer=customer).select_related("payment")[:10]
    data = {
        "enabled": row.enabled,
        "suspended": row.suspended_at is not None,
        "suspended_reason": row.suspended_reason,
        "threshold": plain_amount(row.threshold, currency),
        "amount": plain_amount(row.amount, currency),
        "monthly_cap": plain_amount(row.monthly_cap, currency),
        "cooldown_minutes": row.cooldown_minutes,
        "payment_method": row.payment_method,
        "method_label": row.method_label,
        "consent_text": row.consent_text,
        "consented_by": row.consented_by.email if row.consented_by is not None else None,
        "consented_at": row.consented_at,
        "recent": [
            {
                "id": t.pk,
                "status": t.status,
                "trigger": t.trigger,
                "balance_at_trigger": plain_amount(t.balance_at_trigger, currency),
                "threshold": plain_amount(t.threshold, currency),
                "amount": plain_amount(t.amount, currency),
                "payment": t.payment.reference if t.payment is not None else None,
                "detail": t.detail,
                "created_at": t.created_at,
                "finished_at": t.finished_at,
            }
            for t in recent
        ],
    }
    return json_response(200, data, AutoTopupOut)


def _terms(customer: Customer, payload: TermsIn):  # noqa: ANN202
    return terms_checked(
        customer=customer,
        threshold=payload.threshold,
        amount=payload.amount,
        monthly_cap=payload.monthly_cap,
        cooldown_minutes=payload.cooldown_minutes,
        payment_method=payload.payment_method,
    )


@router.get(
    "/autotopup",
    response={200: AutoTopupOut, **ERRORS},
    summary="Automatic top-up: settings, consent and recent top-ups",
)
def autotopup_get(request: HttpRequest) -> HttpResponse:
    return _state(_own(request))


@router.post(
    "/autotopup/review",
    response={200: ReviewOut, **ERRORS},
    summary="The consent text for these terms (nothing is changed)",
)
@idempotent
def autotopup_review(request: HttpRequest, payload: TermsIn) -> HttpResponse:
    """403 `permission_denied` for a user who may manage billing but not make payments: the
    text is an authorisation to charge, which only a user who may pay gives."""
    customer = _authorising(request)
    terms = _terms(customer, payload)
    text = consent_review(customer=customer, user=caller_of(request).user, terms=terms)
    return json_response(200, {"consent_text": text}, ReviewOut)


@router.put(
    "/autotopup",
    response={200: AutoTopupOut, **ERRORS},
    summary="Turn automatic top-up on (or change it, or resume it)",
)
@idempotent
def autotopup_put(request: HttpRequest, payload: EnableIn) -> HttpResponse:
    """422 `invalid_autotopup` (field `consent`) without consent or when `consent_text` is not
    the text of these terms; 404 when the payment method is not one of the caller's; 403
    `permission_denied` for a user who may manage billing but not make payments (turning it on
    or changing it authorises charges)."""
    customer = _authorising(request)
    if not payload.consent_text.strip():
        raise ApiError(
            422,
            "invalid_autotopup",
            "Send the consent_text the customer agreed to.",
            field="consent_text",
        )
    topup_enable(
        customer=customer,
        user=caller_of(request).user,
        terms=_terms(customer, payload),
        consent=payload.consent,
        shown_text=payload.consent_text,
    )
    return _state(customer)


@router.post(
    "/autotopup/off", response={200: AutoTopupOut, **ERRORS}, summary="Turn automatic top-up off"
)
@idempotent
def autotopup_off(request: HttpRequest) -> HttpResponse:
    customer = _own(request, change=True)
    topup_switch_off(
        customer=customer,
        actor=caller_of(request).user,
        reason="Switched off through the API.",
    )
    return _state(customer)


def _alerts(customer: Customer) -> HttpResponse:
    currency = customer.currency
    data = {
        "data": [
            {
                "threshold": plain_amount(a.threshold, currency),
                "margin": plain_amount(a.margin, currency),
                "armed": a.armed,
            }
            for a in BalanceAlert.objects.filter(customer=customer)
        ]
    }
    return json_response(200, data, AlertsOut)


@router.get("/balance-alerts", response={200: AlertsOut, **ERRORS}, summary="Low-balance alerts")
def balance_alerts_get(request: HttpRequest) -> HttpResponse:
    return _alerts(_own(request))


@router.put(
    "/balance-alerts",
    response={200: AlertsOut, **ERRORS},
    summary="Replace the low-balance alert thresholds (an empty list: none)",
)
@idempotent
def balance_alerts_put(request: HttpRequest, payload: AlertsIn) -> HttpResponse:
    customer = _own(request, change=True)
    alerts_set(
        customer=customer,
        actor=caller_of(request).user,
        thresholds=list(payload.thresholds),
        margin=payload.margin,
    )
    return _alerts(customer)
