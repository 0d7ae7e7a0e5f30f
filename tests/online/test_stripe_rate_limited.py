"""Stripe rate limits the PaymentIntent of a card or SEPA payment (HTTP 429, the sandbox's panel
switch "the next PaymentIntent creation answers HTTP 429"). Its rate limiter answers before the
request is run, so nothing was made at Stripe: the payment Paydesk wrote for that attempt is
cancelled at once (Paydesk's own cancel, audited), never left pending for reconciliation to
abandon, and the customer reads that the card processor is busy and to try again in a minute —
on the Make Payment page, or as the API's 503 `gateway_unavailable` with Retry-After, kept under
no Idempotency-Key. A try a minute later is a new payment, credited once — on the page with its
new form, through the API with the same key or a new one; a success Stripe reported later all
the same would be a late payment, as for any cancelled one."""

from __future__ import annotations

from decimal import Decimal

import httpx
import pytest
from django.conf import settings
from django.test import Client

from paydesk.api.models import IdempotencyRecord
from paydesk.audit.models import AuditEntry
from paydesk.checkout.forms import new_form_token
from paydesk.errors import GatewayRateLimited
from paydesk.ledger.models import Payment, PaymentStatus
from paydesk.sandbox.models import SandboxObject
from tests.api.conftest import ApiClient, key_for
from tests.online.stripe_support import card_checkout, payment_method
from tests.signin import sandbox_staff

pytestmark = pytest.mark.django_db(transaction=True)

BUSY = (
    "The card processor is busy and did not take this payment: nothing was charged. "
    "Try again in a minute."
)
NOT_TAKEN = "Not taken: Stripe is rate limiting requests (HTTP 429). Nothing was charged."


def _rate_limit_the_next_intent() -> None:
    armed = sandbox_staff().post(
        "/sandbox/stripe/panel/", {"action": "intent_rate_limited", "intent_rate_limited": "on"}
    )
    assert armed.status_code == 302


def _intents() -> int:
    return SandboxObject.objects.filter(gateway="stripe", kind="payment_intent").count()


def _balance(user) -> Decimal:
    user.customer.refresh_from_db(fields=["balance"])
    return user.customer.balance


def _cancelled_by_paydesk(payment: Payment) -> None:
    """Cancelled at once with the reason, audited as Paydesk's own cancel (no user)."""
    payment.refresh_from_db()
    assert (payment.status, payment.cancel_reason) == (PaymentStatus.CANCELLED, NOT_TAKEN)
    assert payment.gateway_reference == ""
    [entry] = AuditEntry.objects.filter(action="payment.cancel", object_id=str(payment.pk))
    assert (entry.actor_id, entry.customer_id) == (None, payment.customer_id)
    assert entry.before["status"] == PaymentStatus.PENDING
    assert entry.after["reason"] == NOT_TAKEN


def test_a_rate_limited_card_payment_is_cancelled_at_once_and_a_new_try_is_credited_once(
    sandbox, online_customer
):
    user = online_customer("card")
    token = payment_method(sandbox.url)
    key = new_form_token()
    _rate_limit_the_next_intent()
    with pytest.raises(GatewayRateLimited) as raised:
        card_checkout(sandbox.url, user, token=token, key=key)
    assert raised.value.message == BUSY and raised.value.code == "gateway_unavailable"
    [payment] = Payment.objects.filter(customer=user.customer)
    _cancelled_by_paydesk(payment)
    assert _intents() == 0 and _balance(user) == 0

    # The same form sent again is that attempt, not a second one; a new form is a new payment.
    replayed = card_checkout(sandbox.url, user, token=token, key=key)
    assert replayed.replayed and replayed.payment.pk == payment.pk
    again = card_checkout(sandbox.url, user, token=token)
    assert again.payment.status == PaymentStatus.COMPLETED and again.payment.pk != payment.pk
    assert _intents() == 1 and _balance(user) == Decimal("10.50")


def test_the_make_payment_page_says_the_processor_is_busy_and_pay_works_a_minute_later(
    sandbox, online_customer
):
    """Not a 500 and not a pending payment's status page: the Make Payment page again, with the
    message and a new form token, so that Pay a minute later is a new payment."""
    user = online_customer("card")
    client = Client()
    client.force_login(user)
    sent = new_form_token()
    form = {
        "form_token": sent,
        "method": "card",
        "card-amount": "10.50",
        "card-currency": "USD",
        "card-payment_method_token": payment_method(sandbox.url),
        "action": "pay",
    }
    _rate_limit_the_next_intent()
    page = client.post("/pay/", form)
    assert page.status_code == 200
    html = page.content.decode()
    assert BUSY in html and 'role="alert"' in html
    assert sent not in html
    fresh = page.context["pay_via"]["form_token"].value()
    assert fresh and fresh != sent
    [payment] = Payment.objects.filter(customer=user.customer)
    _cancelled_by_paydesk(payment)

    paid = client.post("/pay/", {**form, "form_token": fresh})
    assert paid.status_code == 302
    completed = Payment.objects.get(customer=user.customer, status=PaymentStatus.COMPLETED)
    assert paid["Location"] == f"/pay/status/{completed.reference}/"
    assert _balance(user) == Decimal("10.50")


def _stripe_keys() -> set[str]:
    """The Idempotency-Keys Stripe (the sandbox) recorded: one per request it ran."""
    return set(
        SandboxObject.objects.filter(gateway="stripe", kind="idempotency").values_list(
            "object_id", flat=True
        )
    )


def _card_body(sandbox) -> dict[str, str]:
    return {
        "method": "card",
        "amount": "10.50",
        "currency": "USD",
        "payment_method": payment_method(sandbox.url),
    }


def test_the_api_answers_503_and_the_same_key_sent_again_pays_once(sandbox, online_customer):
    """Nothing was done, so nothing is kept under the key: the 503 says to send it again, and
    the same key then makes a new attempt (a new payment, a new key at Stripe), charged once and
    replayed from then on. The attempt Stripe did not take stays cancelled as it was."""
    user = online_customer("card")
    api = ApiClient(key_for(user, "read", "pay"))
    body, key = _card_body(sandbox), {"Idempotency-Key": "api-busy-0001"}
    _rate_limit_the_next_intent()
    busy = api.post("/api/v1/payments", body, **key)
    assert busy.status_code == 503, busy.content
    assert busy["Retry-After"] == "60" and "Idempotent-Replayed" not in busy
    assert busy.json()["error"] == {"code": "gateway_unavailable", "message": BUSY, "field": None}
    [first] = Payment.objects.filter(customer=user.customer)
    _cancelled_by_paydesk(first)
    assert not IdempotencyRecord.objects.exists()
    assert _intents() == 0 and _stripe_keys() == set()

    paid = api.post("/api/v1/payments", body, **key)
    assert paid.status_code == 201, paid.content
    assert "Idempotent-Replayed" not in paid and paid.json()["outcome"] == "completed"
    again = Payment.objects.get(reference=paid.json()["payment"]["reference"])
    assert again.pk != first.pk and again.status == PaymentStatus.COMPLETED
    assert _stripe_keys() == {again.idempotency_key} != {first.idempotency_key}
    _cancelled_by_paydesk(first)  # the audit trail as it was

    replayed = api.post("/api/v1/payments", body, **key)
    assert (replayed.status_code, replayed["Idempotent-Replayed"]) == (201, "true")
    assert replayed.content == paid.content
    assert Payment.objects.filter(customer=user.customer).count() == 2
    assert _intents() == 1 and _balance(user) == Decimal("10.50")


def test_the_same_key_rate_limited_twice_pays_once_on_its_third_try(sandbox, online_customer):
    """Each attempt Stripe did not take is passed over: the third try under the key is a
    third payment, the one charged; a new key is a new payment as before."""
    user = online_customer("card")
    api = ApiClient(key_for(user, "read", "pay"))
    body, key = _card_body(sandbox), {"Idempotency-Key": "api-busy-0002"}
    for _ in range(2):
        _rate_limit_the_next_intent()
        assert api.post("/api/v1/payments", body, **key).status_code == 503
    not_taken = list(Payment.objects.filter(customer=user.customer))
    assert len(not_taken) == 2
    for payment in not_taken:
        _cancelled_by_paydesk(payment)
    paid = api.post("/api/v1/payments", body, **key)
    assert paid.status_code == 201 and paid.json()["outcome"] == "completed", paid.content
    other = api.post("/api/v1/payments", body, **{"Idempotency-Key": "api-busy-0003"})
    assert other.status_code == 201 and other.json()["outcome"] == "completed", other.content
    assert Payment.objects.filter(status=PaymentStatus.COMPLETED).count() == 2
    assert _intents() == 2 and _balance(user) == Decimal("21.00")


def test_a_success_stripe_reports_later_for_the_cancelled_payment_is_a_late_payment(
    sandbox, online_customer
):
    """Should Stripe all the same report money for the attempt it rate limited (its
    `payment_intent.succeeded` naming our reference), it is credited once, as a late payment
    linked to the cancelled one — the cancelled row is not edited."""
    user = online_customer("card")
    token = payment_method(sandbox.url)
    _rate_limit_the_next_intent()
    with pytest.raises(GatewayRateLimited):
        card_checkout(sandbox.url, user, token=token)
    [payment] = Payment.objects.filter(customer=user.customer)
    made = httpx.post(
        f"{sandbox.url}/sandbox/stripe/v1/payment_intents",
        headers={"Authorization": f"Bearer {settings.PAYDESK_STRIPE_SECRET_KEY}"},
        data={
            "amount": "1050",
            "currency": "usd",
            "payment_method": token,
            "confirm": "true",
            "metadata[paydesk_reference]": payment.reference,
        },
        timeout=10,
    )
    assert made.status_code == 200 and made.json()["status"] == "succeeded", made.text
    late = Payment.objects.get(original=payment)
    assert (late.status, late.total) == (PaymentStatus.COMPLETED, Decimal("10.50"))
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.CANCELLED
    assert _balance(user) == Decimal("10.50")


def test_the_sandbox_s_intent_switch_answers_429_once_and_records_no_idempotency_key(sandbox):
    headers = {
        "Authorization": f"Bearer {settings.PAYDESK_STRIPE_SECRET_KEY}",
        "Idempotency-Key": "checkout:rate-limited-0001",
    }
    data = {"amount": "1050", "currency": "usd", "payment_method": payment_method(sandbox.url)}
    url = f"{sandbox.url}/sandbox/stripe/v1/payment_intents"
    _rate_limit_the_next_intent()
    page = sandbox_staff().get("/sandbox/").content.decode()
    assert 'id="stripe_intent_rate_limited" name="intent_rate_limited" checked' in page
    limited = httpx.post(url, headers=headers, data=data, timeout=10)
    assert limited.status_code == 429
    assert (limited.json()["error"]["type"], limited.json()["error"]["code"]) == (
        "invalid_request_error",
        "rate_limit",
    )
    assert _intents() == 0
    made = httpx.post(url, headers=headers, data=data, timeout=10)  # once; the key still free
    assert made.status_code == 200 and made.json()["object"] == "payment_intent"
    assert _intents() == 1
