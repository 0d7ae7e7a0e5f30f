"""The two-factor pages (/accounts/two-factor/…): the overview where factors are set up and
removed, adding an authenticator app, new recovery codes, and the sign-in step that asks for a
code or a passkey. Thin: the work is in paydesk.twofactor.services.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

import django_otp
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render, resolve_url
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST
from django_otp_webauthn.models import WebAuthnCredential

from paydesk.errors import PaydeskError
from paydesk.twofactor import totp
from paydesk.twofactor.forms import TotpConfirmForm, VerifyForm
from paydesk.twofactor.models import AuthenticatorDevice, RecoveryCodeDevice
from paydesk.twofactor.selectors import (
    default_landing,
    factors_for_user,
    factors_may_change,
    has_second_factor,
    second_factor_locked_until,
    session_verified,
    two_factor_required,
)
from paydesk.twofactor.services import (
    SETUP_CLOSED,
    SecondFactorError,
    SecondFactorLocked,
    recovery_codes_generate,
    second_factor_remove,
    second_factor_verify,
    totp_enrol,
)
from paydesk.twofactor.totp import DEMO_TOTP_SECRET
from paydesk.web.client_ip import client_ip
from paydesk.web.next_url import next_url_local

# The authenticator secret being set up in this session, until a code from the app confirms it.
PENDING_TOTP_KEY = "twofactor_pending_totp"


def _next_url(request: HttpRequest) -> str:
    """The page asked for before the second factor, when it is one of ours."""
    return next_url_local(request, request.POST.get("next") or request.GET.get("next") or "")


def _with_next(url: str, next_url: str) -> str:
    return f"{url}?{urlencode({'next': next_url})}" if next_url else url


def _refused(request: HttpRequest) -> HttpResponseRedirect:
    """To the second factor, or to the overview that says set-up must be allowed again."""
    if has_second_factor(request.user):
        return _to_verify(request)
    messages.error(request, SETUP_CLOSED)
    return redirect(_with_next(reverse("two_factor:overview"), _next_url(request)))


def _to_verify(request: HttpRequest) -> HttpResponseRedirect:
    return redirect(_with_next(reverse("two_factor:verify"), request.get_full_path()))


def _private(response: HttpResponse) -> HttpResponse:
    """Secrets and recovery codes are never kept by a browser cache or a proxy."""
    response["Cache-Control"] = "no-store"
    return response


@login_required
@require_http_methods(["GET"])
def overview(request: HttpRequest) -> HttpResponse:
    if not session_verified(request) and has_second_factor(request.user):
        return _to_verify(request)
    user = request.user
    factors = factors_for_user(user)
    context: dict[str, Any] = {
        "factors": factors,
        "setup_closed": not factors_may_change(request),
        "required": two_factor_required(user),
        "verified": session_verified(request),
        "next": _next_url(request),
        "nav": "two_factor",
    }
    return _private(render(request, "twofactor/overview.html", context))


@login_required
@require_http_methods(["GET", "POST"])
def totp_add(request: HttpRequest) -> HttpResponse:
    if not factors_may_change(request):
        return _refused(request)
    user = request.user
    assert user.is_authenticated  # @login_required
    key = request.session.get(PENDING_TOTP_KEY) or totp.totp_key_new()
    request.session[PENDING_TOTP_KEY] = key
    form = TotpConfirmForm(request.POST or None)
    next_url = _next_url(request)
    if request.method == "POST" and form.is_valid():
        try:
            device = totp_enrol(
                user=user,
                key_hex=key,
                token=form.cleaned_data["code"],
                name=form.cleaned_data["name"],
                ip_address=client_ip(request),
            )
        except SecondFactorError as exc:
            form.add_error("code", exc.message)
        else:
            del request.session[PENDING_TOTP_KEY]
            if not session_verified(request):
                django_otp.login(request, device)
                request.session.cycle_key()
            messages.success(request, _("Your authenticator app is set up."))
            if not RecoveryCodeDevice.objects.filter(user=user).exists():
                return _recovery_codes_page(request, next_url)
            return redirect(_with_next(reverse("two_factor:overview"), next_url))
    uri = totp.totp_uri(key_hex=key, account=user.email)
    secret = totp.totp_secret(key)
    context = {
        "form": form,
        "qr": totp.totp_qr_data_uri(uri),
        "secret": secret,
        "secret_groups": [secret[i : i + 4] for i in range(0, len(secret), 4)],
        "uri": uri,
        "next": next_url,
        "nav": "two_factor",
    }
    return _private(render(request, "twofactor/totp_add.html", context))


def _recovery_codes_page(request: HttpRequest, next_url: str) -> HttpResponse:
    codes = recovery_codes_generate(user=request.user, ip_address=client_ip(request))
    context = {
        "codes": codes,
        "continue_url": next_url or resolve_url(default_landing(request.user)),
        "nav": "two_factor",
    }
    return _private(render(request, "twofactor/recovery_codes.html", context))


@login_required
@require_POST
def recovery_codes_new(request: HttpRequest) -> HttpResponse:
    if not session_verified(request):
        return _to_verify(request)
    try:
        return _recovery_codes_page(request, _next_url(request))
    except SecondFactorError as exc:
        messages.error(request, exc.message)
        return redirect("two_factor:overview")


@login_required
@require_POST
def factor_remove(request: HttpRequest, kind: str, pk: int) -> HttpResponse:
    model = {"authenticator": AuthenticatorDevice, "passkey": WebAuthnCredential}.get(kind)
    device = model.objects.filter(pk=pk, user=request.user).first() if model else None
    if device is None:
        raise Http404
    if not session_verified(request):
        return _to_verify(request)
    try:
        second_factor_remove(user=request.user, device=device, ip_address=client_ip(request))
    except PaydeskError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("“%(name)s” is removed.") % {"name": device.name})
    return redirect("two_factor:overview")


@login_required
@require_http_methods(["GET", "POST"])
def verify(request: HttpRequest) -> HttpResponse:
    user = request.user
    next_url = _next_url(request)
    landing = next_url or resolve_url(default_landing(user))
    if session_verified(request):
        return redirect(landing)
    if not has_second_factor(user):
        return redirect(_with_next(reverse("two_factor:overview"), next_url))
    form = VerifyForm(request.POST or None)
    locked_until = second_factor_locked_until(user)
    if request.method == "POST" and locked_until is None and form.is_valid():
        try:
            device = second_factor_verify(
                user=user, token=form.cleaned_data["code"], ip_address=client_ip(request)
            )
        except SecondFactorLocked as exc:
            locked_until = exc.locked_until
        except SecondFactorError as exc:
            form.add_error("code", exc.message)
            locked_until = second_factor_locked_until(user)
        else:
            django_otp.login(request, device)
            request.session.cycle_key()
            if isinstance(device, RecoveryCodeDevice):
                messages.warning(
                    request,
                    _(
                        "You signed in with a recovery code; %(left)d left. Each works once: "
                        "make new ones on your two-factor page when they run low."
                    )
                    % {"left": device.remaining},
                )
            return redirect(landing)
    factors = factors_for_user(user)
    context = {
        "form": form,
        "factors": factors,
        "locked_until": locked_until,
        "next": next_url,
        "demo_secret": _demo_secret(),
    }
    return _private(
        render(request, "twofactor/verify.html", context, status=429 if locked_until else 200)
    )


def _demo_secret() -> str:
    """The demo's public authenticator secret, shown on the sign-in step of the demo only."""
    return DEMO_TOTP_SECRET if settings.PAYDESK_DEMO else ""
