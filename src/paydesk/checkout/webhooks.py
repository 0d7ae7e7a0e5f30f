"""The one webhook endpoint, POST /webhooks/<gateway>/: verify the gateway's signature on the raw
body, then parse it, then hand the event to gateway_event_apply.

It never trusts an unverified byte: nothing is parsed before the signature is checked. It never
logs or stores a body, a signature or a secret. It never answers 5xx to anything a request can
cause. Answers (docs/webhooks.md):

- unknown gateway → 404; not a POST → 405;
- no secret set, signature missing, bad or stale → 400 `bad_signature` and a WARNING line; the
  payment log keeps none of what such a request says (its event id is `unverified`), only the
  reason and the source address, and at most PAYDESK_WEBHOOK_UNVERIFIED_PER_MINUTE rows per
  gateway a minute (the WARNING line counts the rest);
- signed but not readable JSON → 400 `unreadable`, logged (refused);
- signed, of an event type Paydesk does not use → 200 `ignored` (log line only);
- applied, a replay, or refused for good (unknown payment, amount or currency mismatch) → 200
  once the payment log entry and its effect are committed: retrying cannot change a permanent
  refusal, and the payment log shows it to staff;
- the database busy or failing → 409 `retry_later`: the gateway retries;
- a refund or dispute of a payment not completed yet (it overtook the payment's success) → 409
  `retry_later` and a WARNING line, nothing kept: the retry is applied once it is completed;
- a receiver with `confirm` checks the event with the gateway's API before it is applied
  (NOWPayments re-queries a `finished` IPN; Razorpay captures an `authorized` payment): no
  answer from the gateway → 409 `retry_later`; the gateway disowns it → 200 refused.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from hashlib import sha256

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.db import DatabaseError
from django.http import HttpRequest, JsonResponse
from django.utils.module_loading import import_string
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from paydesk.checkout.events import (
    gateway_event_apply,
    gateway_notification_refuse,
    gateway_notification_unverified,
)
from paydesk.errors import (
    AmountMismatch,
    EventTooEarly,
    GatewayError,
    GatewayUnavailable,
    WebhookSignatureInvalid,
)
from paydesk.gateways.base import AnyGatewayEvent
from paydesk.gateways.credentials import gateway_credential
from paydesk.gateways.nowpayments import webhooks as nowpayments
from paydesk.gateways.paypal import webhooks as paypal
from paydesk.gateways.paystack import webhooks as paystack
from paydesk.gateways.razorpay import webhooks as razorpay
from paydesk.gateways.registry import gateway_for
from paydesk.gateways.stripe import webhooks as stripe
from paydesk.web.client_ip import client_ip

logger = logging.getLogger("paydesk.webhooks")

Headers = Mapping[str, str]


_CERTIFICATES: dict[tuple[str, str], bytes] = {}


def _certificate(fetcher_path: str, url: str) -> bytes:
    """PayPal's certificates change rarely: fetched once per URL per process. Only what looks
    like a certificate is kept, so a garbled download is fetched again next time."""
    key = (fetcher_path, url)
    if key not in _CERTIFICATES:
        pem = import_string(fetcher_path)(url)
        if b"-----BEGIN CERTIFICATE-----" not in pem:
            return pem  # the signature check refuses it
        if len(_CERTIFICATES) >= 32:
            _CERTIFICATES.clear()
        _CERTIFICATES[key] = pem
    return _CERTIFICATES[key]


def _verify_paypal(body: bytes, headers: Headers, webhook_id: str) -> None:
    fetcher_path = settings.PAYDESK_PAYPAL_CERT_FETCHER
    paypal.paypal_signature_verify(
        body=body,
        headers=headers,
        webhook_id=webhook_id,
        fetch_certificate=lambda url: _certificate(fetcher_path, url),
        allowed_hosts=settings.PAYDESK_PAYPAL_CERT_HOSTS,
    )


@dataclass(frozen=True, slots=True)
class Receiver:
    """How one gateway's notifications are checked and read."""

    gateway: str  # Payment.gateway of its payments (the card method's is "card")
    secret_setting: str
    verify: Callable[[bytes, Headers, str], None]
    parse: Callable[[bytes, Headers], AnyGatewayEvent | None]
    delivery_id_header: str = ""  # a header naming the delivery, for signed unreadable ones
    # Checks a verified event with the gateway before it is applied, returning the event to
    # apply (NOWPayments: a `finished` IPN is re-queried). GatewayUnavailable → 409, retried.
    confirm: Callable[[AnyGatewayEvent], AnyGatewayEvent] | None = None


def _confirm_with_adapter(event: AnyGatewayEvent) -> AnyGatewayEvent:
    """The registered adapter's `notification_confirm(event)`, when it has one (the real
    NOWPayments adapter does; a stand-in registered by a test may not)."""
    try:
        adapter = gateway_for(event.gateway)
    except GatewayError:
        return event
    confirm = getattr(adapter, "notification_confirm", None)
    return confirm(event) if callable(confirm) else event


RECEIVERS: dict[str, Receiver] = {
    "stripe": Receiver(
        gateway=stripe.GATEWAY_NAME,
        secret_setting="PAYDESK_STRIPE_WEBHOOK_SECRET",
        verify=lambda body, headers, secret: stripe.stripe_signature_verify(
            body=body, header=headers.get(stripe.SIGNATURE_HEADER), secret=secret
        ),
        parse=lambda body, headers: stripe.parse_stripe_event(body),
    ),
    "paypal": Receiver(
        gateway=paypal.GATEWAY_NAME,
        secret_setting="PAYDESK_PAYPAL_WEBHOOK_ID",
        verify=_verify_paypal,
        parse=lambda body, headers: paypal.parse_paypal_event(body),
        delivery_id_header="PAYPAL-TRANSMISSION-ID",
    ),
    "razorpay": Receiver(
        gateway=razorpay.GATEWAY_NAME,
        secret_setting="PAYDESK_RAZORPAY_WEBHOOK_SECRET",
        verify=lambda body, headers, secret: razorpay.razorpay_webhook_verify(
            body=body, signature=headers.get(razorpay.SIGNATURE_HEADER), secret=secret
        ),
        parse=lambda body, headers: razorpay.parse_razorpay_event(
            body, event_id=headers.get(razorpay.EVENT_ID_HEADER, "")
        ),
        delivery_id_header=razorpay.EVENT_ID_HEADER,
        confirm=_confirm_with_adapter,  # an `authorized` payment is captured first
    ),
    "paystack": Receiver(
        gateway=paystack.GATEWAY_NAME,
        secret_setting="PAYDESK_PAYSTACK_SECRET_KEY",
        verify=lambda body, headers, secret: paystack.paystack_signature_verify(
            body=body, signature=headers.get(paystack.SIGNATURE_HEADER), secret=secret
        ),
        parse=lambda body, headers: paystack.parse_paystack_event(body),
        confirm=_confirm_with_adapter,  # a refund notification is matched with its refund
    ),
    "nowpayments": Receiver(
        gateway=nowpayments.GATEWAY_NAME,
        secret_setting="PAYDESK_NOWPAYMENTS_IPN_SECRET",
        verify=lambda body, headers, secret: nowpayments.nowpayments_signature_verify(
            body=body, signature=headers.get(nowpayments.SIGNATURE_HEADER), secret=secret
        ),
        parse=lambda body, headers: nowpayments.parse_nowpayments_event(body),
        confirm=_confirm_with_adapter,
    ),
}


def _error(status: int, code: str, message: str) -> JsonResponse:
    return JsonResponse({"error": {"code": code, "message": message}}, status=status)


def _delivery_id(receiver: Receiver, headers: Headers, fallback: str) -> str:
    given = headers.get(receiver.delivery_id_header, "") if receiver.delivery_id_header else ""
    return given.strip()[:200] or fallback


# Signature verification replaces CSRF here, on purpose: a gateway posts without a session or a
# token, and nothing is done unless the body carries the gateway's own valid signature.
@csrf_exempt
@require_POST
def webhook_receive(request: HttpRequest, gateway: str) -> JsonResponse:
    """Receive one notification from `gateway` (see the module docstring for every answer)."""
    receiver = RECEIVERS.get(gateway)
    if receiver is None:
        return _error(404, "unknown_gateway", "No such gateway.")
    try:
        body = request.body
    except RequestDataTooBig:
        logger.warning("Refused a %s webhook: body too large.", gateway)
        return _error(400, "too_large", "The notification is too large.")
    try:
        try:
            receiver.verify(body, request.headers, gateway_credential(receiver.secret_setting))
        except WebhookSignatureInvalid as error:
            _refuse_unverified(gateway, receiver, request, error.message)
            return _error(400, "bad_signature", "The signature is missing or not valid.")
        return _apply_verified(gateway, receiver, body, request.headers)
    except DatabaseError:
        logger.exception("A %s webhook could not be recorded; the gateway will retry.", gateway)
        return _error(409, "retry_later", "The notification could not be recorded; retry.")


def _refuse_unverified(name: str, receiver: Receiver, request: HttpRequest, reason: str) -> None:
    """Log a notification whose signature did not verify; nothing it says is believed."""
    source = client_ip(request) or "unknown"
    refused = gateway_notification_unverified(
        gateway=receiver.gateway, reason=reason, source_ip=source
    )
    if refused.entry is not None:
        logger.warning("Refused a %s webhook from %s: %s", name, source, reason)
        return
    logger.warning(
        "Refused a %s webhook from %s: %s Not in the payment log: %d refused this minute, "
        "the first %d kept.",
        name,
        source,
        reason,
        refused.this_minute,
        settings.PAYDESK_WEBHOOK_UNVERIFIED_PER_MINUTE,
    )


def _apply_verified(name: str, receiver: Receiver, body: bytes, headers: Headers) -> JsonResponse:
    try:
        event = receiver.parse(body, headers)
    except GatewayError as error:
        logger.warning("Refused a signed %s webhook: %s", name, error.message)
        fallback = f"unreadable:{sha256(body).hexdigest()[:32]}"
        gateway_notification_refuse(
            gateway=receiver.gateway,
            event_id=_delivery_id(receiver, headers, fallback),
            detail=f"Signed but unreadable: {error.message}",
        )
        return _error(400, "unreadable", "The notification cannot be read.")
    if event is None:
        logger.info("Ignored a %s webhook of a type Paydesk does not use.", name)
        return JsonResponse({"status": "ignored"})
    if receiver.confirm is not None:
        try:
            event = receiver.confirm(event)
        except GatewayUnavailable as error:
            logger.warning(
                "Could not confirm %s event %s with the gateway (%s); it will retry.",
                name,
                event.event_id,
                error.message,
            )
            return _error(409, "retry_later", "The notification could not be confirmed; retry.")
        except GatewayError as error:
            logger.warning("Refused %s event %s: %s", name, event.event_id, error.message)
            gateway_notification_refuse(
                gateway=receiver.gateway,
                event_id=f"unconfirmed:{event.event_id}",
                detail=f"Not confirmed by the gateway: {error.message}",
            )
            return JsonResponse({"status": "refused", "code": error.code})
    try:
        applied = gateway_event_apply(event=event)
    except EventTooEarly as error:
        # Rolled back, nothing kept: the gateway's retry is applied once the payment completes.
        logger.warning("Not yet applied %s event %s: %s", name, event.event_id, error.message)
        return _error(409, "retry_later", "The payment is not completed yet; retry.")
    except (AmountMismatch, GatewayError) as error:
        # Permanent: acknowledged so the gateway stops retrying; the payment log shows it.
        logger.warning("Refused %s event %s: %s", name, event.event_id, error.message)
        return JsonResponse({"status": "refused", "code": error.code})
    if applied.duplicate:
        logger.info("Replay of %s event %s: already recorded.", name, event.event_id)
    return JsonResponse({"status": str(applied.entry.result), "duplicate": applied.duplicate})
