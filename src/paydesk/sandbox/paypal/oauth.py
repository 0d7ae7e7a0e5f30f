"""The pretend PayPal's OAuth: `POST /v1/oauth2/token` with Basic client_id:secret (the sandbox
app's, from settings/sandbox.py) and `grant_type=client_credentials` → a bearer token
(self-checking: an HMAC with the client secret, so it outlives a test's flush); a wrong client →
401 `{"error": "invalid_client"}`. `authorized` checks the bearer token of the other endpoints."""

from __future__ import annotations

import base64
import binascii
import hmac
import json
import secrets
import time
from hashlib import sha256
from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.http import require_POST

from paydesk.sandbox.core import sandbox_api
from paydesk.sandbox.paypal.common import APP_LIVE, APP_TEST, GATEWAY, TOKEN_SECONDS, now_text


def _account() -> tuple[str, str]:
    """The pretend PayPal app's own client id and secret: what settings/sandbox.py gave it (an
    environment variable still wins there). Paydesk's PAYDESK_PAYPAL_CLIENT_* must match them,
    as they must match a real PayPal app's; a test changing only Paydesk's sees PayPal refuse."""
    from paydesk.settings import sandbox as account

    return account.PAYDESK_PAYPAL_CLIENT_ID, account.PAYDESK_PAYPAL_CLIENT_SECRET


def apps() -> dict[str, tuple[str, str]]:
    """client id → (secret, app id): the sandbox merchant's two REST apps, its test one (the
    one above) and a live one (settings/sandbox.py's SANDBOX_PAYPAL_LIVE_APP), so that the
    back office's live set can be tried; the approval page says which app made the order."""
    from paydesk.settings import sandbox as account

    test_id, test_secret = _account()
    live_id, live_secret = account.SANDBOX_PAYPAL_LIVE_APP
    return {test_id: (test_secret, APP_TEST), live_id: (live_secret, APP_LIVE)}


def _token_mac(payload: str, client_id: str) -> str:
    secret = apps().get(client_id, ("", ""))[0]
    return hmac.new(secret.encode(), payload.encode(), sha256).hexdigest()[:40]


def _token_claims(token: str) -> dict[str, Any] | None:
    payload, _, mac = token.removeprefix("A21AA").partition(".")
    try:
        claims = json.loads(base64.urlsafe_b64decode(payload.encode() + b"=="))
    except (ValueError, binascii.Error):
        return None
    if not isinstance(claims, dict) or claims.get("client_id") not in apps():
        return None
    if not mac or not hmac.compare_digest(mac, _token_mac(payload, claims["client_id"])):
        return None
    if not (isinstance(claims.get("exp"), int) and claims["exp"] > time.time()):
        return None
    return claims


def _token_valid(token: str) -> bool:
    return _token_claims(token) is not None


def caller_client_id(request: HttpRequest) -> str:
    """The client id of the app whose bearer token made this (already authorized) request."""
    token = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
    claims = _token_claims(token) or {}
    return str(claims.get("client_id") or "")


def authorized(request: HttpRequest) -> JsonResponse | None:
    """None when the bearer token is good, else PayPal's 401."""
    header = request.headers.get("Authorization", "")
    if not header.startswith("Bearer "):
        return JsonResponse(
            {
                "name": "AUTHENTICATION_FAILURE",
                "message": "Authentication failed due to missing authorization header, or "
                "invalid authentication credentials.",
                "links": [],
            },
            status=401,
        )
    if not _token_valid(header.removeprefix("Bearer ").strip()):
        return JsonResponse(
            {"error": "invalid_token", "error_description": "Token signature verification failed"},
            status=401,
        )
    return None


@sandbox_api(GATEWAY)
@require_POST
def oauth_token(request: HttpRequest) -> HttpResponse:
    header = request.headers.get("Authorization", "")
    client_id = secret = ""
    if header.startswith("Basic "):
        try:
            client_id, _, secret = (
                base64.b64decode(header.removeprefix("Basic ").strip()).decode().partition(":")
            )
        except (ValueError, binascii.Error):
            client_id = secret = ""
    expected_secret, app_id = apps().get(client_id, ("", ""))
    if not (
        client_id
        and expected_secret
        and hmac.compare_digest(secret.encode(), expected_secret.encode())
    ):
        return JsonResponse(
            {"error": "invalid_client", "error_description": "Client Authentication failed"},
            status=401,
        )
    if request.POST.get("grant_type") != "client_credentials":
        return JsonResponse(
            {"error": "unsupported_grant_type", "error_description": "Grant Type is NULL"},
            status=400,
        )
    claims = {
        "client_id": client_id,
        "exp": int(time.time()) + TOKEN_SECONDS,
        "n": secrets.token_hex(4),
    }
    payload = base64.urlsafe_b64encode(json.dumps(claims).encode()).decode().rstrip("=")
    return JsonResponse(
        {
            "scope": "https://uri.paypal.com/services/payments/payment",
            "access_token": f"A21AA{payload}.{_token_mac(payload, client_id)}",
            "token_type": "Bearer",
            "app_id": app_id,
            "expires_in": TOKEN_SECONDS,
            "nonce": f"{now_text()}{secrets.token_hex(8)}",
        }
    )
