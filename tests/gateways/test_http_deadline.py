"""Every gateway call has a total deadline (PAYDESK_GATEWAY_TIMEOUT), not httpx's or requests'
per-read timeout: a server trickling its answer a byte at a time is given up on, and the payment
is left as any timeout leaves it — pending, with the reason, never abandoned for it."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest
from django.utils import timezone

from paydesk.checkout.reconcile import gateway_payments_reconcile
from paydesk.errors import GatewayUnavailable
from paydesk.gateways.http import GatewayHttp
from paydesk.gateways.stripe.client import StripeApi
from paydesk.ledger.models import Payment, PaymentStatus
from tests.gateways.local_gateway import pending_gateway_payment, trickling_server

pytestmark = pytest.mark.django_db(transaction=True)
STRIPE_CARD = "paydesk.gateways.stripe.gateway.StripeCardGateway"


@pytest.mark.parametrize("trickle_head", [True, False], ids=["status-line", "body"])
def test_a_trickled_answer_is_given_up_at_the_deadline(trickle_head):
    with trickling_server(trickle_head=trickle_head) as url:
        http = GatewayHttp(gateway="paypal", display_name="PayPal", base_url=url, timeout=1)
        with pytest.raises(GatewayUnavailable, match=r"^PayPal did not answer within 1 s\.$"):
            http.request("GET", "/v2/checkout/orders/ABC")


@pytest.mark.parametrize("trickle_head", [True, False], ids=["status-line", "body"])
def test_a_trickled_stripe_answer_is_given_up_at_the_deadline(trickle_head):
    with trickling_server(trickle_head=trickle_head) as url:
        api = StripeApi(secret_key="sk_test_trickle", base_url=url, timeout=1)
        with pytest.raises(GatewayUnavailable, match=r"^Stripe did not answer within 1 s\.$"):
            api.payment_intent_retrieve("pi_trickled")


def test_a_payment_whose_gateway_trickles_stays_pending_with_the_reason(settings):
    payment = pending_gateway_payment("card", "pi_trickled")
    settings.PAYDESK_GATEWAYS = {**settings.PAYDESK_GATEWAYS, "card": STRIPE_CARD}
    settings.PAYDESK_GATEWAY_TIMEOUT = 1
    with trickling_server(trickle_head=False) as url:
        settings.PAYDESK_STRIPE_API_BASE = url
        later = timezone.now() + timedelta(minutes=settings.PAYDESK_ABANDON_AFTER_MINUTES + 1)
        assert gateway_payments_reconcile(now=later) == 0
    payment = Payment.objects.get(pk=payment.pk)
    assert payment.status == PaymentStatus.PENDING  # not completed by the answer, not abandoned
    assert payment.pending_reason.startswith("Stripe did not answer within 1 s.")


def test_paypal_s_certificate_trickled_is_given_up_at_the_deadline(settings):
    """A webhook's certificate download is a gateway call too: a trickling host cannot hold the
    webhook's request past the deadline."""
    from paydesk.errors import WebhookSignatureInvalid
    from paydesk.gateways.paypal.webhooks import certificate_fetch

    settings.PAYDESK_GATEWAY_TIMEOUT = 1
    with trickling_server(trickle_head=True) as url:
        with pytest.raises(WebhookSignatureInvalid) as refused:
            certificate_fetch(url)
    assert isinstance(refused.value.__cause__, httpx.TimeoutException)
