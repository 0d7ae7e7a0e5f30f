"""Template helpers of the portal: money display.

Money is shown only through paydesk.money.format_money: never `floatformat`, never a float.
"""

from __future__ import annotations

from decimal import Decimal

from django import template

from paydesk.money import format_money

register = template.Library()


@register.filter
def money(amount: Decimal | None, currency: str) -> str:
    """`{{ payment.total|money:customer.currency }}` → `-$10.00 USD`; empty for no amount."""
    if amount is None or amount == "":
        return ""
    return format_money(amount, currency)
