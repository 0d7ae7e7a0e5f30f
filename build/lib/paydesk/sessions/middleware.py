"""Ends a staff session that has been idle too long or has reached its lifetime, and notes each
session's activity (paydesk.sessions.services.session_check). Runs after authentication and
messages; the request then goes on signed out, so the page sends it to sign in (the back office
to its own sign-in page, the API answers 401)."""

from __future__ import annotations

from collections.abc import Callable

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _

from paydesk.sessions.services import EXPIRY_REASONS, session_check, session_key_follow


class SessionPolicyMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and hasattr(request, "session"):
            reason = session_check(request=request)
            if reason is not None:
                messages.info(
                    request, f"{EXPIRY_REASONS[reason]} {_('Please sign in again.')}",
                    fail_silently=True,
                )
        response = self.get_response(request)
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and hasattr(request, "session"):
            # A view that cycled the session key (the second factor verified, a password
            # changed) keeps this session's row under its new key at once.
            session_key_follow(request=request)
        return response
