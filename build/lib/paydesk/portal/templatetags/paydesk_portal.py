"""Template helpers of the portal: money display and the time zone picker's options.

Money is shown only through paydesk.money.format_money: never `floatformat`, never a float.
"""

from __future__ import annotations

from decimal import Decimal
from functools import lru_cache

from django import template
from django.conf import settings
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from paydesk.money import format_money
from paydesk.portal.forms import time_zone_names

register = template.Library()


@register.filter
def money(amount: Decimal | None, currency: str) -> str:
    """`{{ payment.total|money:customer.currency }}` → `-$10.00 USD`; empty for no amount."""
    if amount is None or amount == "":
        return ""
    return format_money(amount, currency)


@register.simple_tag
def time_zone_options(current: str) -> SafeString:
    """The <option>s of every IANA time zone, `current` selected (built once per zone)."""
    return _time_zone_options(current or "", settings.TIME_ZONE, get_language())


@lru_cache(maxsize=64)
def _time_zone_options(current: str, default_zone: str, language: str | None) -> SafeString:
    default = format_html(
        '<option value=""{}>{}</option>',
        "" if current else " selected",
        _("Provider's time zone (%(zone)s)") % {"zone": default_zone},
    )
    return default + format_html_join(
        "",
        '<option value="{}"{}>{}</option>',
        (
            (name, " selected" if name == current else "", name.replace("_", " "))
            for name in time_zone_names()
        ),
    )
