"""Turning automatic top-up on: the rules checked, the saved method checked with Stripe to be the
customer's own, and the customer's consent — its exact text, who gave it and when — recorded and
audited. Resuming a suspended top-up is turning it on again."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from paydesk.accounts.models import Customer
from paydesk.audit.services import audit_record
from paydesk.autotopup.access import check_may_authorise
from paydesk.autotopup.models import TopupSettings
from paydesk.autotopup.services import settings_snapshot
from paydesk.errors import AutoTopupError, InvalidAmount
from paydesk.methods.services import saved_method_owned
from paydesk.money import currency_exponent, decimal_places, format_money, to_decimal

COOLDOWN_CHOICES = (15, 60, 360, 1440)  # minutes


@dataclass(frozen=True, slots=True)
class TopupTerms:
    threshold: Decimal
    amount: Decimal
    monthly_cap: Decimal
    cooldown_minutes: int
    payment_method: str


def _amount(value: object, field: str, currency: str, *, positive: bool = True) -> Decimal:
    amount = to_decimal(value, field=field)
    places = currency_exponent(currency)
    if decimal_places(amount) > places:
        raise InvalidAmount(
            f"{currency} amounts have at most {places} decimal places.", field=field
        )
    if positive and amount <= 0:
        raise InvalidAmount("Enter an amount above zero.", field=field)
    return amount


def terms_checked(
    *,
    customer: Customer,
    threshold: object,
    amount: object,
    monthly_cap: object,
    cooldown_minutes: object,
    payment_method: str,
) -> TopupTerms:
    currency = customer.currency
    terms = TopupTerms(
        threshold=_amount(threshold, "threshold", currency, positive=False),
        amount=_amount(amount, "amount", currency),
        monthly_cap=_amount(monthly_cap, "monthly_cap", currency),
        cooldown_minutes=_cooldown(cooldown_minutes),
        payment_method=(payment_method or "").strip(),
    )
    if terms.threshold < -customer.debit_limit:
        raise InvalidAmount(
            f"The balance never goes below {format_money(-customer.debit_limit, currency)}: "
            "choose a higher threshold.",
            field="threshold",
        )
    if terms.monthly_cap < terms.amount:
        raise InvalidAmount("The monthly cap must be at least one top-up.", field="monthly_cap")
    if customer.minimum_payment and terms.amount < customer.minimum_payment:
        raise InvalidAmount(
            f"Your minimum payment is {format_money(customer.minimum_payment, currency)}.",
            field="amount",
        )
    return terms


def _cooldown(value: object) -> int:
    try:
        minutes = int(str(value))
    except ValueError:
        minutes = -1
    if minutes not in COOLDOWN_CHOICES:
        raise AutoTopupError(
            "Choose one of the offered waits between top-ups.", field="cooldown_minutes"
        )
    return minutes


def consent_text(*, customer: Customer, terms: TopupTerms, method_label: str) -> str:
    """The authorisation the customer gives, as shown next to the checkbox and recorded."""
    currency = customer.currency
    hours = terms.cooldown_minutes / 60
    wait = (
        f"{terms.cooldown_minutes} minutes"
        if hours < 1
        else (f"{hours:g} hour{'s' if hours != 1 else ''}")
    )
    return (
        f"I authorise {settings.PAYDESK_PROVIDER_NAME} to charge {method_label} "
        f"{format_money(terms.amount, currency)} whenever the balance of {customer.name} falls "
        f"below {format_money(terms.threshold, currency)}, at most "
        f"{format_money(terms.monthly_cap, currency)} in a calendar month and at most once every "
        f"{wait}, until I or another user of this account switches it off."
    )


def consent_review(*, customer: Customer, user: Any, terms: TopupTerms) -> str:
    """The consent text `user` would give for `terms` (nothing changes): refused, as turning it
    on is, to a user who may not authorise the charges; the method checked to be the
    customer's."""
    check_may_authorise(actor=user, customer=customer)
    owned = saved_method_owned(customer=customer, payment_method=terms.payment_method)
    return consent_text(customer=customer, terms=terms, method_label=owned.label)


def topup_enable(
    *, customer: Customer, user: Any, terms: TopupTerms, consent: bool, shown_text: str = ""
) -> TopupSettings:
    """Turn automatic top-up on (or change it, or resume it after a suspension). `consent` is
    the ticked box; `shown_text`, when given, must be the consent text the user saw (it is
    recomputed: a page older than a change of the terms is refused). Only a user who may
    manage billing and make payments (autotopup.access.check_may_authorise)."""
    check_may_authorise(actor=user, customer=customer)
    owned = saved_method_owned(customer=customer, payment_method=terms.payment_method)
    if owned.type == "sepa_debit" and customer.currency != "EUR":
        raise AutoTopupError("SEPA Direct Debit pays in EUR only.", field="payment_method")
    text = consent_text(customer=customer, terms=terms, method_label=owned.label)
    if not consent:
        raise AutoTopupError("Tick the box to authorise the automatic charges.", field="consent")
    if shown_text and " ".join(shown_text.split()) != text:
        raise AutoTopupError("The terms changed: read them again and confirm.", field="consent")
    with transaction.atomic():
        row, _created = TopupSettings.objects.select_for_update().get_or_create(customer=customer)
        before = settings_snapshot(row)
        row.threshold, row.amount = terms.threshold, terms.amount
        row.monthly_cap, row.cooldown_minutes = terms.monthly_cap, terms.cooldown_minutes
        row.payment_method, row.method_label = owned.id, owned.label
        row.consent_text, row.consented_by, row.consented_at = text, user, timezone.now()
        row.enabled, row.consecutive_failures = True, 0
        row.suspended_at, row.suspended_reason = None, ""
        row.save()
        audit_record(
            action="autotopup.switch_on",
            actor=user,
            obj=row,
            customer_id=customer.pk,
            before=before,
            after={**settings_snapshot(row), "consent_text": text},
        )
    return row
