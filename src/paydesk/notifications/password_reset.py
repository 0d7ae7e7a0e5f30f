"""The password-reset email's link, made by the worker as it sends the message, never stored.

The link carries a token that sets the account's password: the outbox row holds who it is for
(`user_id`) and what the message says around it; its stored rendering (what staff read in the
back office) holds LINK_HELD where the link goes, and each attempt puts a fresh link in its
place in the message it sends. The token is Django's (PASSWORD_RESET_TIMEOUT from the time it
is made, bound to the password and last sign-in, so a used or outdated link stops working).

A row is not sent when the account no longer matches it (another address, deactivated, no
password) or when the request is older than PASSWORD_RESET_TIMEOUT: the user was told the link
works that long from their request.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django.utils.translation import gettext

from paydesk.accounts.models import User

LINK_HELD = "[the link is made when the email is sent and is not stored]"


class NotToBeSent(Exception):
    """The row must not be sent, now or later (recorded as failed, no retry)."""


def reset_link(*, context: dict[str, Any], to: str, created_at: datetime, now: datetime) -> str:
    """A fresh reset link for the row's user, on PAYDESK_PUBLIC_URL; NotToBeSent when the
    request has expired or the account no longer matches the row."""
    if now - created_at > timedelta(seconds=settings.PASSWORD_RESET_TIMEOUT):
        raise NotToBeSent(gettext("The reset was asked for longer ago than its link would last."))
    user = User.objects.filter(pk=int(context.get("user_id") or 0), is_active=True).first()
    if user is None or user.email.lower() != to.lower() or not user.has_usable_password():
        raise NotToBeSent(gettext("The account no longer matches the reset asked for."))
    path = reverse(
        "password_reset_confirm",
        kwargs={
            "uidb64": urlsafe_base64_encode(force_bytes(user.pk)),
            "token": default_token_generator.make_token(user),
        },
    )
    return settings.PAYDESK_PUBLIC_URL.rstrip("/") + path
