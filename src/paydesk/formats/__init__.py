"""Paydesk's date formats, over Django's for the language (settings.FORMAT_MODULE_PATH), and the
one way the customer's side writes a moment."""

from __future__ import annotations

from datetime import datetime

from django.utils import timezone
from django.utils.formats import date_format


def customer_time(value: datetime) -> str:
    """A moment as the portal writes it, in the active (the user's chosen) time zone, with the
    zone's name: `Dec. 3, 2026, 2:00 a.m. UTC`."""
    local = timezone.localtime(value)
    return f"{date_format(local, 'DATETIME_FORMAT')} {date_format(local, 'T')}"
