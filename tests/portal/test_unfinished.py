"""Finding 1 of issue 13: online checkouts the customer never finished at the gateway are listed
apart as *Unfinished* (Resume, Cancel) and, with cancelled checkouts, leave the default list of
payments (and its CSV); a filter still shows them. The ledger keeps every row."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from paydesk.checkout.models import Quote
from paydesk.checkout.services import checkout_start
from paydesk.ledger.models import Payment, PaymentStatus
from paydesk.ledger.services import payment_create
from tests.checkout import scripted_gateway
from tests.checkout.conftest import configure, method_configs  # noqa: F401 (fixture)
from tests.factories import PortalUserFactory
from tests.portal.conftest import at
from tests.portal.test_payments_page import rows

pytestmark = pytest.mark.django_db
PAYMENTS = reverse("portal:payments")
CSV = reverse("portal:payments_csv")


@pytest.fixture(autouse=True)
def scripted(settings):
    settings.PAYDESK_GATEWAYS = {
        **settings.PAYDESK_GATEWAYS,
        "paypal": "tests.checkout.scripted_gateway.ScriptedGateway",
    }
    scripted_gateway.SCRIPT.update(start="redirect", status="pending")
    scripted_gateway.CALLS.clear()
    configure("paypal", enabled=True, currencies=["USD"])
    return scripted_gateway.SCRIPT


def start(user, key: str, amount: str = "51.54"):
    return checkout_start(
        customer=user.customer,
        user=user,
        method="paypal",
        amount=amount,
        currency="USD",
        idempotency_key=key,
    )


@pytest.fixture
def history(portal_user, scripted):
    """A completed top-up, three PayPal checkouts left at the gateway, one declined, and one
    still waiting with a reason (the gateway did not answer: it is not *unfinished*)."""
    payment_create(customer=portal_user.customer, total="100", description="Top-up", at=at(0))
    left = [start(portal_user, f"left-{n}-0123456789abcdef").payment for n in range(3)]
    scripted["start"] = "declined"
    declined = start(portal_user, "declined-0123456789abcdef").payment
    scripted["start"] = "unavailable"
    waiting = start(portal_user, "waiting-0123456789abcdef").payment
    return {"left": left, "declined": declined, "waiting": waiting}


def test_unfinished_checkouts_are_apart_with_resume_and_cancel(portal_client, history):
    assert Payment.objects.filter(status=PaymentStatus.PENDING).count() == 4  # ledger unchanged
    response = portal_client.get(PAYMENTS)
    html = response.content.decode()
    section = html.split('id="unfinished-title"', 1)[1].split("</section>", 1)[0]
    for payment in history["left"]:
        assert payment.reference in section
        assert f'href="{reverse("checkout:resume", args=[payment.reference])}"' in section
        assert reverse("checkout:return", args=[payment.reference]) in section  # Cancel
    assert section.count(">Resume<") == 3
    assert "data-confirm=" in section
    table = " ".join(rows(response))
    for payment in history["left"]:
        assert payment.reference not in table
    assert history["declined"].reference not in table  # declined: out of the default list
    assert history["waiting"].reference in table  # waits with a reason: a real pending row
    assert history["waiting"].reference not in section
    assert "Top-up" in table


def test_a_filter_still_shows_the_attempts_and_the_csv_follows_the_page(portal_client, history):
    everything = " ".join(rows(portal_client.get(PAYMENTS, {"attempts": "on"})))
    for payment in [*history["left"], history["declined"], history["waiting"]]:
        assert payment.reference in everything
    cancelled = " ".join(rows(portal_client.get(PAYMENTS, {"status": "cancelled"})))
    assert history["declined"].reference in cancelled

    default_csv = b"".join(portal_client.get(CSV).streaming_content).decode()
    assert history["declined"].reference not in default_csv
    assert history["left"][0].reference not in default_csv
    all_csv = b"".join(portal_client.get(CSV, {"attempts": "on"}).streaming_content).decode()
    assert history["declined"].reference in all_csv and history["left"][0].reference in all_csv


def test_a_pending_updates_poll_covers_the_unfinished_ones(portal_client, history):
    html = portal_client.get(PAYMENTS).content.decode()
    ids = {str(p.pk) for p in history["left"]}
    listed = html.split('class="card unfinished"', 1)[1].split('data-pending-ids="', 1)[1]
    assert set(listed.split('"', 1)[0].split(",")) == ids


def _signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_resume_sends_a_payer_to_the_gateway_while_the_quote_holds(portal_client, history):
    payment = history["left"][0]
    quote = Quote.objects.get(payment=payment)
    answer = portal_client.get(reverse("checkout:resume", args=[payment.reference]))
    assert answer.status_code == 302 and answer["Location"] == quote.gateway_url

    Quote.objects.filter(pk=quote.pk).update(expires_at=timezone.now())
    answer = portal_client.get(reverse("checkout:resume", args=[payment.reference]))
    assert answer["Location"] == reverse("checkout:status", args=[payment.reference])


def test_the_status_page_offers_the_gateway_only_while_its_page_is_open(portal_client, history):
    """The quote's expiry bounds the gateway's session: after it, the status page (where Resume
    leads then) says the page closed and offers a new payment, not a link to a closed page."""
    payment = history["left"][0]
    quote = Quote.objects.get(payment=payment)
    status_url = reverse("checkout:status", args=[payment.reference])
    html = portal_client.get(status_url).content.decode()
    assert "Continue to pay" in html and "data-gateway-closed" not in html

    Quote.objects.filter(pk=quote.pk).update(expires_at=timezone.now())
    html = portal_client.get(status_url).content.decode()
    assert "Continue to pay" not in html and quote.gateway_url not in html
    closed = html.split("data-gateway-closed>", 1)[1].split("</p>", 1)[0]
    assert "page for this payment closed at" in closed
    assert "it can no longer be paid there" in closed
    new_payment = html.split("data-gateway-closed>", 1)[1]
    assert ">Start a new payment</a>" in new_payment
    assert "method=paypal&amp;amount=51.54&amp;currency=USD" in new_payment


def test_a_view_only_user_sees_no_resume_and_cannot_resume_or_capture(portal_user, history):
    """The review's finding: a bookkeeper (view payments, not make payments) resumed a PayPal
    checkout from the Unfinished box, approved it, and the return URL captured it."""
    viewer = PortalUserFactory(customer=portal_user.customer, can_make_payments=False)
    bookkeeper = _signed_in(viewer)
    payment = history["left"][0]
    quote = Quote.objects.get(payment=payment)

    html = bookkeeper.get(PAYMENTS).content.decode()
    section = html.split('id="unfinished-title"', 1)[1].split("</section>", 1)[0]
    assert payment.reference in section  # still listed: they may see it
    assert ">Resume<" not in section and quote.gateway_url not in html
    assert reverse("checkout:resume", args=[payment.reference]) not in html
    assert "Only users who may make payments can resume them." in section

    resumed = bookkeeper.get(reverse("checkout:resume", args=[payment.reference]))
    assert resumed.status_code == 403
    assert "You do not have permission to make payments." in resumed.content.decode()

    # Approved at the gateway by them anyway: coming back does not capture it.
    scripted_gateway.SCRIPT["status"] = "completed"
    scripted_gateway.CALLS.clear()
    back = bookkeeper.get(reverse("checkout:return", args=[payment.reference]), {"token": "x"})
    assert back.status_code == 403
    assert scripted_gateway.CALLS == []  # the gateway was not even asked
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.PENDING

    status = bookkeeper.get(reverse("checkout:status", args=[payment.reference]))
    assert status.status_code == 200  # they may follow it…
    assert "Continue to pay" not in status.content.decode()  # …not pay it
    assert quote.gateway_url not in status.content.decode()


def test_a_payer_still_resumes_and_the_return_captures(portal_client, portal_user, history):
    payment = history["left"][0]
    status = portal_client.get(reverse("checkout:status", args=[payment.reference]))
    assert "Continue to pay" in status.content.decode()
    scripted_gateway.SCRIPT["status"] = "completed"
    back = portal_client.get(reverse("checkout:return", args=[payment.reference]))
    assert back["Location"] == reverse("checkout:status", args=[payment.reference])
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.COMPLETED


def test_the_box_offers_a_new_payment_once_the_gateway_page_closed(portal_client, history):
    """The review's finding: the box offered Resume for a checkout whose quote had expired,
    whose gateway page had closed, while its status page said so and offered "Start a new
    payment". The box now follows the same rule (Quote.open_at_gateway)."""
    closed, still_open = history["left"][0], history["left"][1]
    quote = Quote.objects.get(payment=closed)
    Quote.objects.filter(pk=quote.pk).update(expires_at=timezone.now())

    html = portal_client.get(PAYMENTS).content.decode()
    section = html.split('id="unfinished-title"', 1)[1].split("</section>", 1)[0]
    item = section.split(f'data-payment-id="{closed.pk}"', 1)[1].split("</li>", 1)[0]
    assert reverse("checkout:resume", args=[closed.reference]) not in item
    assert ">Resume<" not in item
    status = portal_client.get(reverse("checkout:status", args=[closed.reference]))
    offered = status.content.decode().split("data-gateway-closed>", 1)[1]
    new_payment = offered.split('<a class="button" href="', 1)[1].split('"', 1)[0]
    assert new_payment.endswith("method=paypal&amp;amount=51.54&amp;currency=USD")
    assert f'<a class="button" href="{new_payment}">Start a new payment' in item
    assert "Its payment page closed at" in item and "it can no longer be paid there" in item
    assert reverse("checkout:return", args=[closed.reference]) in item  # Cancel stays

    other = section.split(f'data-payment-id="{still_open.pk}"', 1)[1].split("</li>", 1)[0]
    assert f'href="{reverse("checkout:resume", args=[still_open.reference])}"' in other
    assert "Start a new payment" not in other and "data-gateway-closed" not in other
