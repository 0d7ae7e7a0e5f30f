"""Security headers on every response, and each signed-in user's own time zone."""

from __future__ import annotations

import zoneinfo
from collections.abc import Callable, Iterable, Mapping

from django.http import HttpRequest, HttpResponse
from django.utils import timezone

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)


def policy_with(extra: Mapping[str, Iterable[str]], policy: str = CONTENT_SECURITY_POLICY) -> str:
    """`policy` with more sources allowed per directive (a directive it lacks starts from its
    default-src). For the one page that needs them: Stripe.js on Make Payment, Razorpay's
    checkout, the gateways' hosted pages a payment form is redirected to (form-action)."""
    directives: dict[str, list[str]] = {}
    for part in policy.split(";"):
        words = part.split()
        if words:
            directives[words[0]] = words[1:]
    default = directives.get("default-src", ["'self'"])
    for name, sources in extra.items():
        current = directives.setdefault(name, list(default))
        current.extend(source for source in sources if source and source not in current)
    return "; ".join(" ".join([name, *sources]) for name, sources in directives.items())


class SecurityHeadersMiddleware:
    """Content-Security-Policy (no inline script, nothing from elsewhere) and Permissions-Policy."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        response.headers.setdefault(
            "Permissions-Policy", "camera=(), microphone=(), geolocation=()"
        )
        return response


class UserTimeZoneMiddleware:
    """Activates the signed-in user's time zone (the provider's by default) for the request."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and user.time_zone:
            try:
                timezone.activate(zoneinfo.ZoneInfo(user.time_zone))
            except (zoneinfo.ZoneInfoNotFoundError, ValueError):
                timezone.deactivate()
        else:
            timezone.deactivate()
        try:
            return self.get_response(request)
        finally:
            timezone.deactivate()
