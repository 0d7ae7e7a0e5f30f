"""What a payer reads on the portal's pages, found by reading them at desk and phone width:
each test names the page and the words or markup it must carry."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth.tokens import default_token_generator
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from paydesk.api.services import api_key_create, api_key_revoke
from paydesk.autotopup.models import Topup, TopupSettings
from paydesk.banktransfers.services import transfer_proof_attach
from paydesk.ledger.refunds import refund_create
from tests.banktransfers.conftest import PDF_BYTES, bank_details, transfer  # noqa: F401 (fixture)
from tests.documents.conftest import billed_customer, invoicing_on, topup
from tests.factories import PASSWORD, PortalUserFactory, StaffFactory
from tests.portal.conftest import MODEL_BACKEND
from tests.refunds.conftest import card_payment
from tests.signin import sign_in, verified_login

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


# Matches the portal's way of writing a time, "Dec. 3, 2026, 2:00 a.m. UTC", and nothing else.
PORTAL_TIME = r"[A-Z][a-z]{2,3}\.? \d{1,2}, \d{4}, \d{1,2}:\d{2} [ap]\.m\. UTC"
BACK_OFFICE_TIME = r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}"


def test_the_api_keys_page_writes_times_as_the_rest_of_the_portal(portal_client, portal_user):
    """Created, last used and revoked read "2026-12-05 04:28", the back office's form."""
    api_key_create(user=portal_user, name="Billing script", scopes=["read"])
    key, _plain = api_key_create(user=portal_user, name="Old script", scopes=["read"])
    api_key_revoke(key=key, actor=portal_user)
    html = _main(portal_client.get(reverse("apikeys:list")).content.decode())
    assert len(re.findall(rf">{PORTAL_TIME}</td>", html)) == 2, html
    assert re.search(rf"Revoked {PORTAL_TIME}", html)
    assert not re.search(BACK_OFFICE_TIME, html)


def test_the_sessions_page_writes_times_as_the_reader_s_side_does(client, portal_user):
    """A customer reads portal times; staff keep the back office's form on the same page."""
    client.post("/accounts/login/", {"username": portal_user.email, "password": PASSWORD})
    html = _main(client.get(reverse("sessions:list")).content.decode())
    assert len(re.findall(rf">{PORTAL_TIME}</td>", html)) == 2, html
    assert not re.search(BACK_OFFICE_TIME, html)

    staff = sign_in(Client(), StaffFactory(staff_role="finance"))
    staff_html = staff.get(reverse("sessions:list")).content.decode()
    assert re.search(rf">{BACK_OFFICE_TIME}</td>", staff_html)


def test_the_two_factor_page_writes_times_as_the_rest_of_the_portal(client, portal_user):
    device = verified_login(client, portal_user, backend=MODEL_BACKEND)
    device.last_used_at = timezone.now()
    device.save(update_fields=["last_used_at"])
    html = _main(client.get(reverse("two_factor:overview")).content.decode())
    assert re.search(rf"added {PORTAL_TIME} · last used {PORTAL_TIME}", html), html
    assert not re.search(r"\d{4}-\d{2}-\d{2}", html)


def test_the_automatic_top_up_page_writes_times_as_the_rest_of_the_portal(client, customer):
    """Consent and each top-up read "2026-12-05 04:28 UTC" / "2026-12-05 04:28"."""
    billing = PortalUserFactory(customer=customer, can_manage_billing=True)
    client.force_login(billing, backend=MODEL_BACKEND)
    TopupSettings.objects.create(
        customer=customer, consent_text="I agree.", consented_at=timezone.now()
    )
    Topup.objects.create(
        customer=customer, status="failed", trigger="posting", balance_at_trigger="5.00",
        threshold="10.00", amount="50.00", payment_method="pm_test", created_at=timezone.now(),
    )  # fmt: skip
    html = _main(client.get(reverse("autotopup:settings")).content.decode())
    assert re.search(rf"—, {PORTAL_TIME}</dd>", html), html
    assert re.search(rf"<tr><td data-label=\"Queued\">{PORTAL_TIME}</td>", html), html
    assert not re.search(BACK_OFFICE_TIME, html)


def test_the_invoices_page_names_each_landmark_once(client):
    """axe-core (landmark-unique): the Documents section and the table's scrolling region
    inside it were both named by the "Documents" heading, two landmarks of one name."""
    invoicing_on()
    customer = billed_customer()
    topup(customer, total="120.00")
    client.force_login(PortalUserFactory(customer=customer), backend=MODEL_BACKEND)
    html = _main(client.get(reverse("documents:invoices")).content.decode())
    landmarks = re.findall(r"<(?:section|div)\b[^>]*\baria-labelledby=\"([^\"]+)\"", html)
    assert "invoice-list-title" in landmarks
    assert len(landmarks) == len(set(landmarks)), landmarks


def test_the_button_that_copies_all_bank_details_says_so_on_screen(
    portal_client,
    portal_user,
    bank_details,  # noqa: F811 — the fixture imported above
):
    """Under "Reference" a button read only "Copy": a payer took it for the reference's. It
    copies every bank detail, and now says so; the per-field buttons keep "Copy"."""
    pending = transfer(portal_user.customer)
    html = portal_client.get(reverse("banktransfers:detail", args=[pending.reference])).content
    html = html.decode()
    # One text node: a space at the start of a <span> inside the (flex) button was dropped,
    # and the button read "Copyall bank details".
    assert ">Copy all bank details</button>" in html
    assert 'Copy<span class="visually-hidden"> SWIFT</span></button>' in html


def _labels(html: str) -> list[str]:
    return re.findall(r"<label\b[^>]*>([^<]*)</label>", html)


def test_form_labels_read_alike_without_a_colon(client, portal_user):
    """The sign-in page and Make Payment write "Email", "Amount"; the password pages, the
    billing profile and the proof upload wrote "Email:", "Legal name:", "Proof of payment:"."""
    pages = [reverse("password_reset")]
    token = default_token_generator.make_token(portal_user)
    uid = urlsafe_base64_encode(force_bytes(portal_user.pk))
    reset = client.get(reverse("password_reset_confirm", args=[uid, token]), follow=True)
    labels = _labels(reset.content.decode())
    billing = PortalUserFactory(customer=portal_user.customer, can_manage_billing=True)
    client.force_login(billing, backend=MODEL_BACKEND)
    pending = transfer(portal_user.customer)
    pages += [
        reverse("sessions:password_change"),
        reverse("portal:billing"),
        reverse("banktransfers:detail", args=[pending.reference]),
    ]
    for page in pages:
        found = _labels(client.get(page).content.decode())
        assert found, page
        labels += found
    assert "New password" in labels and "Legal name" in labels and "Proof of payment" in labels
    assert [label for label in labels if label.rstrip().endswith(":")] == []


def test_the_tax_id_help_speaks_to_the_payer(client, customer):
    """It read "Checked by its format and check digits only, offline: Paydesk does not look it
    up in VIES or any tax registry": the software's name and a registry's acronym."""
    client.force_login(
        PortalUserFactory(customer=customer, can_manage_billing=True), backend=MODEL_BACKEND
    )
    html = client.get(reverse("portal:billing")).content.decode()
    assert "We check only that it is well formed; we do not look it up in a tax registry." in html
    assert "VIES" not in html and "offline" not in html


def test_the_time_zone_chooser_speaks_to_the_payer(portal_client):
    """ "the provider's time zone" is Paydesk's word for the carrier, not the customer's; the
    button said only "Save"."""
    html = portal_client.get(reverse("portal:preferences")).content.decode()
    assert "Leave it empty to use our time zone (UTC)." in html
    assert "provider" not in _main(html)
    assert '<button type="submit" class="button">Save time zone</button>' in html


def test_the_api_keys_list_writes_scopes_as_the_form_names_them(portal_client, portal_user):
    """The form offers "Read: …" and "Pay: …"; the list showed the stored "pay, read"."""
    api_key_create(user=portal_user, name="Billing script", scopes=["read", "pay"])
    html = _main(portal_client.get(reverse("apikeys:list")).content.decode())
    assert '<td data-label="Scopes">Pay, Read</td>' in html


def test_a_page_not_found_offers_a_way_on(portal_client):
    """It said only "There is nothing at this address." (a mistyped payment reference lands
    here); it now links to the start page."""
    response = portal_client.get("/payments/NO-SUCH-REFERENCE/")
    assert response.status_code == 404
    html = _main(response.content.decode())
    assert f'<a href="{reverse("portal:dashboard")}">Go to the start page</a>' in html
