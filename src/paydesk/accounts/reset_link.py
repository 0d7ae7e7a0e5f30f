"""How long a password-reset link works, in words: the email and the "Check your email" page say
the same (PASSWORD_RESET_TIMEOUT, from PAYDESK_PASSWORD_RESET_LINK_SECONDS)."""

from __future__ import annotations

from django.conf import settings
from django.utils.translation import ngettext


def valid_for_words(seconds: int) -> str:
    """3600 → "1 hour", 5400 → "1 hour 30 minutes", 900 → "15 minutes"."""
    hours, minutes = divmod(seconds // 60, 60)
    parts = []
    if hours:
        parts.append(ngettext("%(n)d hour", "%(n)d hours", hours) % {"n": hours})
    if minutes or not hours:
        parts.append(ngettext("%(n)d minute", "%(n)d minutes", minutes) % {"n": minutes})
    return " ".join(parts)


def reset_link_valid_for() -> str:
    """How long a reset link works, as the email and the page after the request say it."""
    return valid_for_words(settings.PASSWORD_RESET_TIMEOUT)
