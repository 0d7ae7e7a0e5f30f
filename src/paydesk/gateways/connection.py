"""*Test connection*: one harmless authenticated call per gateway, with credentials passed in.

The back office passes the set being tested (test or live, as entered), never what the gateway
would otherwise read, and gets a sentence for an administrator back: what the gateway said.
Nothing is created at the gateway: a token, or a list of at most one object.

- Stripe: `GET /v1/customers?limit=1` with the secret key.
- PayPal: `POST /v1/oauth2/token` (client credentials).
- Razorpay: `GET /v1/orders?count=1` (Basic key id : key secret).
- Paystack: `GET /transaction?perPage=1` with the secret key.
- NOWPayments: `POST /v1/auth` (the account's email and password), then
  `GET /v1/payment/?limit=1` with the API key and that token.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from paydesk.errors import GatewayUnavailable
from paydesk.gateways.credentials import BY_GATEWAY
from paydesk.gateways.http import Answer, GatewayHttp, default_base_url
from paydesk.gateways.nowpayments import client as nowpayments_client
from paydesk.gateways.paypal import client as paypal_client
from paydesk.gateways.paystack import client as paystack_client
from paydesk.gateways.razorpay import client as razorpay_client
from paydesk.gateways.stripe import client as stripe_client

LIVE_BASES = {
    "stripe": stripe_client.LIVE_API,
    "paypal": paypal_client.LIVE_API,
    "razorpay": razorpay_client.LIVE_API,
    "paystack": paystack_client.LIVE_API,
    "nowpayments": nowpayments_client.LIVE_BASE,
}


@dataclass(frozen=True, slots=True)
class ConnectionResult:
    ok: bool
    message: str


def _base(gateway: str, values: Mapping[str, str]) -> str:
    explicit = values.get(f"PAYDESK_{gateway.upper()}_API_BASE", "").strip()
    if explicit:
        return explicit.rstrip("/")
    return default_base_url(live=LIVE_BASES[gateway], sandbox_path=gateway)


def _said(answer: Answer) -> str:
    body = answer.body if isinstance(answer.body, Mapping) else {}
    error = body.get("error")
    if isinstance(error, Mapping):
        return str(error.get("message") or error.get("description") or "")[:200]
    return str(
        body.get("message") or body.get("error_description") or error or body.get("name") or ""
    )[:200]


def _refused(name: str, answer: Answer) -> ConnectionResult:
    said = _said(answer)
    what = "refused the credentials" if answer.status in (401, 403) else "answered an error"
    text = f"{name} {what} (HTTP {answer.status})"
    return ConnectionResult(False, f"{text}: {said}" if said else f"{text}.")


def _need(values: Mapping[str, str], *settings: str) -> str:
    entry = BY_GATEWAY[settings[0].split("_")[1].lower()]
    missing = [entry.field(s).label for s in settings if not values.get(s)]
    return f"Enter {', '.join(missing)} first." if missing else ""


def _http(
    gateway: str,
    values: Mapping[str, str],
    *,
    headers: Mapping[str, str] | None = None,
    auth: tuple[str, str] | None = None,
) -> GatewayHttp:
    entry = BY_GATEWAY[gateway]
    return GatewayHttp(
        gateway=gateway,
        display_name=entry.display_name,
        base_url=_base(gateway, values),
        headers=headers,
        auth=auth,
    )


def _stripe(values: Mapping[str, str]) -> ConnectionResult:
    key = values["PAYDESK_STRIPE_SECRET_KEY"]
    answer = _http("stripe", values, headers={"Authorization": f"Bearer {key}"}).request(
        "GET", "/v1/customers", params={"limit": "1"}
    )
    if not answer.ok:
        return _refused("Stripe", answer)
    live = "live" if key.startswith(("sk_live_", "rk_live_")) else "test"
    return ConnectionResult(True, f"Stripe accepted the secret key ({live} mode).")


def _paypal(values: Mapping[str, str]) -> ConnectionResult:
    auth = (values["PAYDESK_PAYPAL_CLIENT_ID"], values["PAYDESK_PAYPAL_CLIENT_SECRET"])
    answer = _http("paypal", values, auth=auth).request(
        "POST",
        "/v1/oauth2/token",
        form={"grant_type": "client_credentials"},
        headers={"Accept": "application/json"},
    )
    if not answer.ok:
        return _refused("PayPal", answer)
    body = answer.body if isinstance(answer.body, Mapping) else {}
    app = str(body.get("app_id") or "")
    suffix = f" (app {app})" if app else ""
    return ConnectionResult(True, f"PayPal issued an access token{suffix}.")


def _razorpay(values: Mapping[str, str]) -> ConnectionResult:
    auth = (values["PAYDESK_RAZORPAY_KEY_ID"], values["PAYDESK_RAZORPAY_KEY_SECRET"])
    answer = _http("razorpay", values, auth=auth).request(
        "GET", "/v1/orders", params={"count": "1"}
    )
    if not answer.ok:
        return _refused("Razorpay", answer)
    return ConnectionResult(True, "Razorpay accepted the key and listed orders.")


def _paystack(values: Mapping[str, str]) -> ConnectionResult:
    key = values["PAYDESK_PAYSTACK_SECRET_KEY"]
    answer = _http("paystack", values, headers={"Authorization": f"Bearer {key}"}).request(
        "GET", "/transaction", params={"perPage": "1"}
    )
    if not answer.ok:
        return _refused("Paystack", answer)
    return ConnectionResult(True, "Paystack accepted the secret key and listed transactions.")


def _nowpayments(values: Mapping[str, str]) -> ConnectionResult:
    key_header = {"x-api-key": values["PAYDESK_NOWPAYMENTS_API_KEY"]}
    signed_in = _http("nowpayments", values, headers=key_header).request(
        "POST",
        "/v1/auth",
        json_body={
            "email": values["PAYDESK_NOWPAYMENTS_EMAIL"],
            "password": values["PAYDESK_NOWPAYMENTS_PASSWORD"],
        },
    )
    body = signed_in.body if isinstance(signed_in.body, Mapping) else {}
    if not signed_in.ok or not body.get("token"):
        return _refused("NOWPayments (sign-in)", signed_in)
    headers = {**key_header, "Authorization": f"Bearer {body['token']}"}
    answer = _http("nowpayments", values, headers=headers).request(
        "GET", "/v1/payment/", params={"limit": "1"}
    )
    if not answer.ok:
        return _refused("NOWPayments", answer)
    return ConnectionResult(True, "NOWPayments accepted the sign-in and the API key.")


CHECKS = {
    "stripe": (_stripe, ("PAYDESK_STRIPE_SECRET_KEY",)),
    "paypal": (_paypal, ("PAYDESK_PAYPAL_CLIENT_ID", "PAYDESK_PAYPAL_CLIENT_SECRET")),
    "razorpay": (_razorpay, ("PAYDESK_RAZORPAY_KEY_ID", "PAYDESK_RAZORPAY_KEY_SECRET")),
    "paystack": (_paystack, ("PAYDESK_PAYSTACK_SECRET_KEY",)),
    "nowpayments": (
        _nowpayments,
        (
            "PAYDESK_NOWPAYMENTS_API_KEY",
            "PAYDESK_NOWPAYMENTS_EMAIL",
            "PAYDESK_NOWPAYMENTS_PASSWORD",
        ),
    ),
}


def connection_test(gateway: str, values: Mapping[str, str]) -> ConnectionResult:
    """Call `gateway` once with `values` (setting → value) and say, in plain words, what came."""
    check, needed = CHECKS[gateway]
    missing = _need(values, *needed)
    if missing:
        return ConnectionResult(False, missing)
    try:
        return check(values)
    except GatewayUnavailable as error:
        return ConnectionResult(False, error.message)
