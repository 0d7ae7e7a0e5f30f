"""What every pretend gateway shares: its objects, the fault switch on its API, and sending its
signed webhooks to Paydesk as the switches say.

Each gateway's package (paydesk/sandbox/<gateway>/) has `urls.py` (mounted at
/sandbox/<gateway>/ when it exists), its API views wrapped in `sandbox_api`, its hosted pages,
and signs its own webhooks before handing them to `webhook_send`.
"""

from __future__ import annotations

import json
import logging
import secrets
import time
from collections.abc import Callable, Mapping
from functools import wraps
from typing import Any

import httpx
from django.conf import settings
from django.db import transaction
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt

from paydesk.sandbox.models import (
    CASE_SWITCHES,
    ApiFault,
    SandboxObject,
    SandboxWebhook,
    Switches,
    WebhookMode,
    WebhookStatus,
)

logger = logging.getLogger("paydesk.sandbox")

GATEWAYS = ("stripe", "paypal", "razorpay", "paystack", "nowpayments")


def public_url(path: str) -> str:
    """An absolute URL on this server, from PAYDESK_PUBLIC_URL: where the sandbox's hosted pages
    live and where its webhooks go. The sandbox's own copy, so that it depends on nothing of the
    gateway code it stands in front of."""
    return f"{str(settings.PAYDESK_PUBLIC_URL).rstrip('/')}/{path.lstrip('/')}"


def new_id(prefix: str, length: int = 14) -> str:
    """A gateway-looking id: `pi_3Nf…`, `order_…`."""
    alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789"
    return prefix + "".join(secrets.choice(alphabet) for _ in range(length))


# --- objects -------------------------------------------------------------------------------


def object_create(
    gateway: str, kind: str, object_id: str, data: dict[str, Any], *, lookup: str = ""
) -> SandboxObject:
    now = timezone.now()
    return SandboxObject.objects.create(
        gateway=gateway,
        kind=kind,
        object_id=object_id,
        data=data,
        lookup=lookup,
        created_at=now,
        updated_at=now,
    )


def object_get(gateway: str, kind: str, object_id: str) -> SandboxObject | None:
    return SandboxObject.objects.filter(gateway=gateway, kind=kind, object_id=object_id).first()


def object_must(gateway: str, kind: str, object_id: str) -> SandboxObject:
    """An object another one names (SandboxObject.DoesNotExist if it has gone)."""
    return SandboxObject.objects.get(gateway=gateway, kind=kind, object_id=object_id)


def object_find(gateway: str, kind: str, lookup: str) -> SandboxObject | None:
    """The newest object of that kind whose `lookup` (a reference, an order id) matches."""
    return (
        SandboxObject.objects.filter(gateway=gateway, kind=kind, lookup=lookup)
        .order_by("-id")
        .first()
    )


def object_update(obj: SandboxObject, **changes: Any) -> SandboxObject:
    """Merge `changes` into the object's JSON and save it (row-locked: two hosted-page clicks
    cannot both move one order)."""
    with transaction.atomic():
        locked = SandboxObject.objects.select_for_update().get(pk=obj.pk)
        locked.data = {**locked.data, **changes}
        locked.updated_at = timezone.now()
        locked.save(update_fields=["data", "updated_at"])
    return locked


# --- the behaviour switches ----------------------------------------------------------------


def switch_on(name: str) -> bool:
    """Whether the behaviour switch `name` (one of CASE_SWITCHES) is on now. Read at the moment
    the gateway acts, so a switch changed on the control page applies to the next click."""
    if name not in CASE_SWITCHES:
        raise ValueError(f"No sandbox switch is called {name!r}.")
    return bool(getattr(Switches.current(), name))


def switch_set(name: str, value: bool) -> None:
    """Turn the behaviour switch `name` on or off (the control page, and tests' drivers)."""
    if name not in CASE_SWITCHES:
        raise ValueError(f"No sandbox switch is called {name!r}.")
    Switches.current()
    Switches.objects.filter(pk=1).update(**{name: bool(value)})


# --- the API fault switch ------------------------------------------------------------------


def _fault_for(gateway: str) -> str:
    switches = Switches.current()
    if switches.fault_gateway and switches.fault_gateway != gateway:
        return ApiFault.NONE
    return switches.api_fault


View = Callable[..., HttpResponse]


def sandbox_api(
    gateway: str, *, auth: Callable[[HttpRequest], HttpResponse | None] | None = None
) -> Callable[[View], View]:
    """Wrap one of a pretend gateway's API views: CSRF-exempt (servers call it, as they call the
    real API), subject to the fault switch (timeout, HTTP 500, garbage), then to `auth` — the
    gateway's own credential check, whose refusal (401 in its error shape) is answered as is."""

    def decorate(view: View) -> View:
        @csrf_exempt
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            fault = _fault_for(gateway)
            if fault == ApiFault.TIMEOUT:
                time.sleep(settings.PAYDESK_GATEWAY_TIMEOUT + 1)
                return HttpResponse(status=504)
            if fault == ApiFault.ERROR_500:
                return HttpResponse("Internal Server Error", status=500, content_type="text/plain")
            if fault == ApiFault.GARBAGE:
                return HttpResponse("<html><body>Service Unavailable", content_type="text/html")
            refusal = auth(request) if auth is not None else None
            return refusal if refusal is not None else view(request, *args, **kwargs)

        return wrapped

    return decorate


def json_body(request: HttpRequest) -> dict[str, Any] | None:
    """The request's JSON object, or None when it is not one."""
    try:
        body = json.loads(request.body or b"{}")
    except ValueError:
        return None
    return body if isinstance(body, dict) else None


def error(status: int, body: Mapping[str, Any]) -> JsonResponse:
    return JsonResponse(dict(body), status=status)


# --- webhooks ------------------------------------------------------------------------------


# Gateways that sign each delivery anew (Stripe puts the time of sending in its signature):
# gateway → body → headers, used when a held (late, out-of-order) webhook is finally delivered
# instead of the headers made when it was queued.
SIGNERS: dict[str, Callable[[bytes], dict[str, str]]] = {}


def webhook_send(
    gateway: str, *, about: str, event_type: str, body: bytes, headers: Mapping[str, str]
) -> SandboxWebhook:
    """Send one signed notification to Paydesk, as the switches say: at once (after the current
    transaction commits), twice, held until released (late), held until the next one about the
    same object and then sent newest first (out of order), or never."""
    mode = Switches.current().webhook_mode
    hook = SandboxWebhook.objects.create(
        gateway=gateway,
        about=about,
        event_type=event_type,
        body=body.decode(),
        headers=dict(headers),
        status=WebhookStatus.DROPPED if mode == WebhookMode.NONE else WebhookStatus.QUEUED,
    )
    if mode == WebhookMode.NONE:
        return hook
    if mode == WebhookMode.LATE:
        SandboxWebhook.objects.filter(pk=hook.pk).update(status=WebhookStatus.HELD)
        return hook
    if mode == WebhookMode.OUT_OF_ORDER:
        earlier = list(
            SandboxWebhook.objects.filter(gateway=gateway, about=about, status=WebhookStatus.HELD)
            .exclude(pk=hook.pk)
            .order_by("-id")
        )
        if not earlier:
            SandboxWebhook.objects.filter(pk=hook.pk).update(status=WebhookStatus.HELD)
            return hook
        order = [hook.pk] + [h.pk for h in earlier]
        transaction.on_commit(lambda: [webhook_deliver(pk) for pk in order])
        return hook
    times = 2 if mode == WebhookMode.TWICE else 1
    transaction.on_commit(lambda: [webhook_deliver(hook.pk) for _ in range(times)])
    return hook


def webhooks_release(gateway: str = "") -> int:
    """Deliver every held webhook (oldest first, or newest first when the switch says out of
    order); how many were delivered."""
    held = SandboxWebhook.objects.filter(status=WebhookStatus.HELD)
    if gateway:
        held = held.filter(gateway=gateway)
    newest_first = Switches.current().webhook_mode == WebhookMode.OUT_OF_ORDER
    pks = list(held.order_by("-id" if newest_first else "id").values_list("pk", flat=True))
    for pk in pks:
        webhook_deliver(pk)
    return len(pks)


def webhook_deliver(pk: int) -> SandboxWebhook:
    """POST one stored webhook to Paydesk's endpoint and record the answer. Never raises."""
    hook = SandboxWebhook.objects.get(pk=pk)
    url = public_url(f"/webhooks/{hook.gateway}/")
    signer = SIGNERS.get(hook.gateway) if hook.status == WebhookStatus.HELD else None
    signed = signer(hook.body.encode()) if signer else hook.headers
    headers = {"Content-Type": "application/json", **signed}
    try:
        response = httpx.post(url, content=hook.body.encode(), headers=headers, timeout=30)
        outcome = f"HTTP {response.status_code} {response.text[:150]}"
        status = WebhookStatus.SENT if response.status_code < 300 else WebhookStatus.FAILED
    except httpx.HTTPError as failure:
        outcome, status = f"not delivered: {type(failure).__name__}", WebhookStatus.FAILED
    SandboxWebhook.objects.filter(pk=pk).update(
        status=status,
        attempts=hook.attempts + 1,
        last_response=outcome[:200],
        delivered_at=timezone.now(),
    )
    logger.info("Sandbox %s webhook %s → %s", hook.gateway, hook.event_type, outcome[:80])
    hook.refresh_from_db()
    return hook


def return_to(url: str, **params: str) -> str:
    """`url` with `params` added to its query (how hosted pages send the customer back)."""
    parsed = httpx.URL(url)
    return str(parsed.copy_merge_params(params))
