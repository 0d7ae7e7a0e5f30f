"""Template helpers of the portal: money, time and a payment's description.

Money is shown only through paydesk.money.format_money: never `floatformat`, never a float.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from django import template
from django.utils import timezone
from django.utils.formats import date_format

from paydesk.formats import customer_time
from paydesk.ledger.models import Payment
from paydesk.money import format_money
from paydesk.shapes import payment_description_shown

register = template.Library()


@register.filter
def money(amount: Decimal | None, currency: str) -> str:
    """`{{ payment.total|money:customer.currency }}` → `-$10.00 USD`; empty for no amount."""
    if amount is None or amount == "":
        return ""
    return format_money(amount, currency)


@register.filter
def description_shown(payment: Payment) -> str:
    """`{{ payment|description_shown }}`: the description, a chargeback's reason stored as its
    gateway's code ("Chargeback of PD-…: fraudulent") in the gateway's words."""
    return payment_description_shown(payment)


@register.filter
def time_for(value: datetime | None, user: Any) -> str:
    """`{{ key.created_at|time_for:user }}`: a time as the reader's side of Paydesk writes it
    (docs/decisions.md) on the account pages customers and staff share (sessions, API keys,
    two-factor sign-in): `Dec. 3, 2026, 2:00 a.m. UTC` for a customer, in the zone they chose;
    the back office's `2026-12-03 02:00` for staff. Empty for none."""
    if value is None or value == "":
        return ""
    if getattr(user, "is_staff", False):
        return date_format(timezone.localtime(value), "SHORT_DATETIME_FORMAT")
    return customer_time(value)
