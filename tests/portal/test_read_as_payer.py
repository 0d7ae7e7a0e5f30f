"""What a payer reads on the portal's pages, found by reading them at desk and phone width:
each test names the page and the words or markup it must carry."""

from __future__ import annotations

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from paydesk.banktransfers.services import transfer_proof_attach
from paydesk.ledger.refunds import refund_create
from tests.banktransfers.conftest import PDF_BYTES, transfer
from tests.factories import PortalUserFactory, StaffFactory
from tests.portal.conftest import MODEL_BACKEND
from tests.refunds.conftest import card_payment

pytestmark = pytest.mark.django_db
MAKE_PAYMENT = reverse("checkout:make_payment")


def _main(html: str) -> str:
    """The page below the header's navigation."""
    return html.split("</nav>", 1)[1]


def test_the_dashboard_offers_make_payment_to_a_user_who_may_pay(portal_client):
    dashboard = _main(portal_client.get(reverse("portal:dashboard")).content.decode())
    assert f'<a class="button" href="{MAKE_PAYMENT}">Make Payment</a>' in dashboard


def test_the_dashboard_offers_no_make_payment_to_a_view_only_user(client, customer):
    bookkeeper = PortalUserFactory(customer=customer, can_make_payments=False)
    client.force_login(bookkeeper, backend=MODEL_BACKEND)
    dashboard = _main(client.get(reverse("portal:dashboard")).content.decode())
    assert MAKE_PAYMENT not in dashboard
    assert f'href="{reverse("portal:payments")}">See your payments</a>' in dashboard


def _times(html: str) -> list[str]:
    """The text of every <time> element on the page."""
    return re.findall(r"<time datetime=\"[^\"]+\">([^<]*)</time>", html)


def test_every_time_on_a_bank_transfers_page_names_its_zone(portal_client, portal_user):
    """The transfer page wrote "Created Nov. 27, 2026, 11:32 a.m." and a proof's upload time
    without the zone every other portal page prints ("… 11:32 a.m. UTC")."""
    pending = transfer(portal_user.customer)
    transfer_proof_attach(
        payment=pending, user=portal_user, upload=SimpleUploadedFile("proof.pdf", PDF_BYTES)
    )
    html = portal_client.get(reverse("banktransfers:detail", args=[pending.reference])).content
    html = html.decode()
    times = _times(html)
    assert len(times) == 1 and times[0].endswith(" UTC"), times
    proof_line = html.split('class="proof-list"', 1)[1].split("</li>", 1)[0]
    assert re.search(r"\d a\.m\. UTC\)|\d p\.m\. UTC\)", proof_line), proof_line


def test_the_follow_ups_of_a_payment_name_their_zone(portal_client, customer):
    """A refunded payment's "What followed" table dropped the zone its own date shows."""
    payment = card_payment(customer)
    refund_create(
        original=payment, total="20.00", reason="Unused minutes",
        actor=StaffFactory(staff_role="finance"), status="completed",
    )  # fmt: skip
    html = portal_client.get(reverse("portal:payment_detail", args=[payment.reference])).content
    times = _times(html.decode())
    assert len(times) == 2 and all(time.endswith(" UTC") for time in times), times
