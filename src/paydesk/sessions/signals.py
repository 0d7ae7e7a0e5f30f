"""Signing in starts a session's row and mark; signing out drops the row; a reset of the user's
credentials (accounts/resets.py) ends every session of theirs (services.py)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.signals import user_logged_in, user_logged_out
from django.dispatch import receiver

from paydesk.accounts.resets import credentials_reset
from paydesk.sessions.services import session_forget, session_start, sessions_end_all


@receiver(user_logged_in)
def _signed_in(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    if request is not None and hasattr(request, "session"):
        session_start(request=request, user=user)


@receiver(user_logged_out)
def _signed_out(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    if request is not None and hasattr(request, "session"):
        session_forget(session_key=request.session.session_key)


@receiver(credentials_reset)
def _credentials_reset(
    sender: Any, user: Any, actor: Any, reason: str, ip_address: str | None, **kwargs: Any
) -> None:
    sessions_end_all(user=user, actor=actor, reason=reason, ip_address=ip_address)
