"""How a payment reads on a document: the method in the customer's words (card brand and last
four, never more; a staff entry as an account credit), the year of issue in the provider's time
zone."""

from __future__ import annotations

import re
from datetime import date, datetime
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils import timezone

from paydesk.accounts.models import PaymentMethod

# The card as the gateway's server named it, kept in the payment's description by the checkout
# ("Credit Card Visa •••• 4242, $51.54 USD"): a brand and the last four digits, nothing more.
_CARD = re.compile(r"([A-Za-z][A-Za-z ]{0,29}) •••• (\d{4})\b")


def method_label(payment) -> str:
    label = payment.customer_method_label if payment.method else ""
    if payment.method == PaymentMethod.CARD:
        found = _CARD.search(payment.description or "")
        if found:
            brand = found.group(1).replace("Credit Card", "").strip() or "Card"
            return f"{label} ({brand} •••• {found.group(2)})"
    return label


def provider_zone() -> ZoneInfo:
    """The provider's time zone (PAYDESK_TIME_ZONE): a document's date and year are its days."""
    return ZoneInfo(settings.TIME_ZONE)


def provider_local(moment: datetime) -> datetime:
    return timezone.localtime(moment, provider_zone())


def issue_date(moment: datetime) -> date:
    """A document's one date, the day of `moment` in the provider's time zone: the date its PDF
    and Factur-X state and its number's year is of, wherever the reader is."""
    return provider_local(moment).date()
