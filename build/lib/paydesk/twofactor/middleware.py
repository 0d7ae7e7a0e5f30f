"""Sends a signed-in user who still owes a second factor to verify it (or, for staff without
one, to set one up) before any page but the two-factor pages themselves and sign-out.

Runs after django-otp's OTPMiddleware. Works on the resolved view, so a page added later is
covered without anyone remembering to decorate it. The JSON APIs get a 401 instead of a redirect;
a request that authenticates with an API key (not the session) is left to the API.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.urls import reverse

from paydesk.twofactor.selectors import has_second_factor, second_factor_satisfied

# Reachable before the second factor: the two-factor pages (each checks what it allows), the
# passkey ceremonies (django-otp-webauthn refuses to add a passkey to an unverified session of a
# user who already has a factor), and signing out.
OPEN_NAMESPACES = frozenset({"two_factor", "otp_webauthn"})
OPEN_VIEWS = frozenset({"logout", "backoffice:logout"})
API_NAMESPACES = frozenset({"api", "connexcs"})


class SecondFactorRequiredMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(
        self, request: HttpRequest, view_func: Any, view_args: Any, view_kwargs: Any
    ) -> HttpResponse | None:
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return None
        match = request.resolver_match
        namespace = match.namespaces[0] if match and match.namespaces else ""
        if namespace in OPEN_NAMESPACES or (match and match.view_name in OPEN_VIEWS):
            return None
        if namespace in API_NAMESPACES and (
            request.headers.get("Authorization") or request.headers.get("X-Api-Key")
        ):
            return None  # a key, not this session, authenticates it (paydesk.api.auth)
        if second_factor_satisfied(request):
            return None
        if namespace in API_NAMESPACES:
            return JsonResponse(
                {"detail": "Verify your second factor first: " + reverse("two_factor:verify")},
                status=401,
            )
        target = "two_factor:verify" if has_second_factor(user) else "two_factor:overview"
        url = reverse(target)
        if request.method == "GET":
            url += "?" + urlencode({"next": request.get_full_path()})
        return HttpResponseRedirect(url)
