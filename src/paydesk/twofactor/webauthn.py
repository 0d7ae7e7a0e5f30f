"""Passkeys through django-otp-webauthn: its views, with Paydesk's audit entries and second-factor
lock around them, and the relying party Paydesk presents.

Passkeys are a second factor only (OTP_WEBAUTHN_ALLOW_PASSWORDLESS_LOGIN is off): a ceremony
needs a session that has already passed the password step.
"""

from __future__ import annotations

import json
from typing import Any

from django.http import HttpResponse, JsonResponse
from django.shortcuts import resolve_url
from django.urls import path
from django.views.i18n import JavaScriptCatalog
from django_otp_webauthn import views as library
from django_otp_webauthn.helpers import WebAuthnHelper
from django_otp_webauthn.models import WebAuthnCredential

from paydesk.twofactor.selectors import default_landing, factors_may_change
from paydesk.twofactor.services import (
    FACTOR_PASSKEY,
    SETUP_CLOSED,
    SecondFactorLocked,
    passkey_enrolled_record,
    second_factor_check_lock,
    second_factor_failure_record,
    second_factor_success_record,
)
from paydesk.web.client_ip import client_ip


class RequestHostWebAuthnHelper(WebAuthnHelper):
    """The demo and the tests only: the relying party is the host the browser asked for, so a
    passkey works at http://localhost:<any port>. Production names it (OTP_WEBAUTHN_RP_ID and
    OTP_WEBAUTHN_ALLOWED_ORIGINS), never trusting the request for it."""

    def get_relying_party_domain(self) -> str:
        return self.request.get_host().rsplit(":", 1)[0].strip("[]")

    def get_allowed_origins(self) -> list[str]:
        return [f"{self.request.scheme}://{self.request.get_host()}"]


def _locked_response(exc: SecondFactorLocked) -> JsonResponse:
    return JsonResponse({"detail": exc.message, "code": exc.code}, status=429)


def _setup_closed() -> JsonResponse:
    return JsonResponse({"detail": SETUP_CLOSED, "code": "second_factor_setup_closed"}, status=403)


class PasskeyRegistrationBegin(library.BeginCredentialRegistrationView):
    def post(self, *args: Any, **kwargs: Any) -> HttpResponse:
        if self.request.user.is_authenticated and not factors_may_change(self.request):
            return _setup_closed()  # staff without a factor, past their set-up time
        return super().post(*args, **kwargs)


class PasskeyRegistrationComplete(library.CompleteCredentialRegistrationView):
    def post(self, *args: Any, **kwargs: Any) -> HttpResponse:
        if self.request.user.is_authenticated and not factors_may_change(self.request):
            return _setup_closed()
        response = super().post(*args, **kwargs)
        # The library has just marked a session without a factor as verified by this passkey:
        # a new session key for the raised privilege, as after any verification.
        self.request.session.cycle_key()
        device = WebAuthnCredential.objects.get(pk=json.loads(response.content)["id"])
        passkey_enrolled_record(
            user=self.request.user, device=device, ip_address=client_ip(self.request)
        )
        return response


class PasskeyAuthenticationBegin(library.BeginCredentialAuthenticationView):
    def post(self, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            second_factor_check_lock(user=self.request.user)
        except SecondFactorLocked as exc:
            return _locked_response(exc)
        return super().post(*args, **kwargs)


class PasskeyAuthenticationComplete(library.CompleteCredentialAuthenticationView):
    """Verifies the session with a passkey: refused while locked, audited, a failed assertion
    counted like a wrong code."""

    def post(self, *args: Any, **kwargs: Any) -> HttpResponse:
        request = self.request
        try:
            second_factor_check_lock(user=request.user)
        except SecondFactorLocked as exc:
            return _locked_response(exc)
        try:
            response = super().post(*args, **kwargs)
        except Exception:
            second_factor_failure_record(
                user=request.user,
                factor=FACTOR_PASSKEY,
                reason="refused",
                ip_address=client_ip(request),
            )
            raise
        request.session.cycle_key()
        second_factor_success_record(
            user=request.user, device=request.user.otp_device, ip_address=client_ip(request)
        )
        return response

    def get_success_url(self) -> str:
        return self.get_redirect_url() or resolve_url(default_landing(self.request.user))


# Included as namespace "otp_webauthn": the library's template tags reverse these names.
app_name = "otp_webauthn"
urlpatterns = [
    path(
        "registration/begin/",
        PasskeyRegistrationBegin.as_view(),
        name="credential-registration-begin",
    ),
    path(
        "registration/complete/",
        PasskeyRegistrationComplete.as_view(),
        name="credential-registration-complete",
    ),
    path(
        "authentication/begin/",
        PasskeyAuthenticationBegin.as_view(),
        name="credential-authentication-begin",
    ),
    path(
        "authentication/complete/",
        PasskeyAuthenticationComplete.as_view(),
        name="credential-authentication-complete",
    ),
    path(
        "jsi18n/",
        JavaScriptCatalog.as_view(packages=["django_otp_webauthn"]),
        name="js-i18n-catalog",
    ),
]
