"""The customer's bank-transfer page: reference and payment details while pending, proofs of
payment checked by content, cancel by the customer, and nothing of another customer's."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from paydesk.audit.models import AuditEntry
from paydesk.banktransfers.errors import ProofRefused
from paydesk.banktransfers.models import TransferProof
from paydesk.banktransfers.proofs import proof_path
from paydesk.banktransfers.services import (
    CUSTOMER_CANCEL_REASON,
    transfer_cancel_by_customer,
    transfer_proof_attach,
)
from paydesk.errors import InvalidTransition, PermissionDenied
from paydesk.ledger.models import Payment
from paydesk.ledger.services import payment_create
from tests.banktransfers.conftest import (
    HTML_BYTES,
    JPEG_BYTES,
    PDF_BYTES,
    PNG_BYTES,
    signed_in,
    transfer,
)
from tests.factories import CustomerFactory, PortalUserFactory

pytestmark = pytest.mark.django_db


def _url(payment, name="detail", **kwargs):
    return reverse(f"banktransfers:{name}", kwargs={"reference": payment.reference, **kwargs})


def _upload(client, payment, content: bytes, name="proof.pdf", content_type="application/pdf"):
    return client.post(
        _url(payment, "proof_upload"),
        {"proof": SimpleUploadedFile(name, content, content_type=content_type)},
    )


@pytest.fixture
def rival():
    """Another customer with its own pending transfer and proof."""
    other = CustomerFactory(name="Rival Telecom", currency="EUR")
    user = PortalUserFactory(customer=other)
    theirs = transfer(other, total="77.77")
    proof = transfer_proof_attach(
        payment=theirs, user=user, upload=SimpleUploadedFile("theirs.pdf", PDF_BYTES)
    )
    return other, user, theirs, proof


# The page ---------------------------------------------------------------------------------------


def test_the_page_shows_the_reference_amount_and_payment_details(
    portal_client, pending, bank_details
):
    response = portal_client.get(_url(pending))
    assert response.status_code == 200
    html = response.content.decode()
    assert f'data-reference="{pending.reference}"' in html
    # Named as the spec's "Payment Details", in the portal's sentence case (as the back office).
    assert '<h2 id="payment-details-title">Payment details</h2>' in html
    assert "Payment Details" not in html
    for text in (
        "Paydesk Telecom Ltd",
        "GB29 NWBK 6016 1331 9268 19",
        "Northwind Bank",
        "1 Harbour Street",
        "NWBKGB2L",
        "$250.00 USD",
        "Pending",
    ):
        assert text in html, text
    assert response["Cache-Control"] == "no-store"


def test_an_iban_is_labelled_iban_and_another_number_account_number(
    portal_client, pending, bank_details, admin_user
):
    """The page labelled the provider's IBAN "Account number"."""
    from paydesk.banktransfers.services import bank_details_update

    html = portal_client.get(_url(pending)).content.decode()
    assert '<div><dt>IBAN</dt><dd class="code">GB29 NWBK 6016 1331 9268 19 ' in html
    assert "Account number" not in html
    assert "IBAN: GB29 NWBK 6016 1331 9268 19" in html  # what Copy all bank details copies
    bank_details_update(
        actor=admin_user, beneficiary_name="Paydesk Telecom Inc", account_number="000123456789",
        bank_name="Northwind Bank", bank_address="", swift="NWBKUS33",
    )  # fmt: skip
    html = portal_client.get(_url(pending)).content.decode()
    assert '<div><dt>Account number</dt><dd class="code">000123456789 ' in html
    assert "IBAN" not in html


def test_a_reference_typed_loosely_finds_the_transfer(portal_client, pending):
    loose = pending.reference.lower().replace("-", " ").replace("0", "o")
    response = portal_client.get(reverse("banktransfers:detail", args=[loose]))
    assert response.status_code == 302
    assert response["Location"] == _url(pending)


def test_bank_details_are_not_shown_once_the_transfer_is_final(
    portal_client, customer, bank_details, finance_user
):
    from paydesk.banktransfers.services import transfer_complete

    pending = transfer(customer)
    transfer_complete(
        payment=pending, actor=finance_user, received_amount="250", received_currency="USD"
    )
    html = portal_client.get(_url(pending)).content.decode()
    assert "Completed" in html and pending.reference in html
    assert "NWBKGB2L" not in html
    assert "Cancel transfer" not in html


def test_another_customers_transfer_and_proof_are_404(portal_client, rival):
    other, _user, theirs, proof = rival
    assert portal_client.get(_url(theirs)).status_code == 404
    assert portal_client.get(_url(theirs, "proof_download", proof_id=proof.pk)).status_code == 404
    assert _upload(portal_client, theirs, PDF_BYTES).status_code == 404
    assert portal_client.post(_url(theirs, "cancel")).status_code == 404
    assert Payment.objects.get(pk=theirs.pk).status == "pending"
    assert TransferProof.objects.filter(payment=theirs).count() == 1


def test_my_transfer_with_another_customers_proof_id_is_404(portal_client, pending, rival):
    _other, _user, _theirs, proof = rival
    response = portal_client.get(_url(pending, "proof_download", proof_id=proof.pk))
    assert response.status_code == 404


def test_a_payment_that_is_not_a_bank_transfer_has_no_page(portal_client, customer):
    card = payment_create(customer=customer, total="10", description="Card top-up")
    assert portal_client.get(_url(card)).status_code == 404


def test_pending_transfers_are_hidden_when_the_flag_is_off(portal_client, customer, pending):
    customer.show_pending_bank_payments = False
    customer.save(update_fields=["show_pending_bank_payments"])
    assert portal_client.get(_url(pending)).status_code == 404
    assert portal_client.post(_url(pending, "cancel")).status_code == 404


def test_the_payments_page_links_pending_transfers_to_their_page(portal_client, pending):
    html = portal_client.get(reverse("portal:payments")).content.decode()
    assert f'href="{_url(pending)}"' in html


def test_staff_are_sent_to_the_back_office(finance_user, pending):
    response = signed_in(finance_user).get(_url(pending))
    assert response.status_code == 302
    assert response["Location"].startswith("/backoffice/")


# Proofs -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("content", "name", "kind"),
    [
        (PDF_BYTES, "receipt.pdf", "pdf"),
        (PNG_BYTES, "scan.png", "png"),
        (JPEG_BYTES, "photo.jpeg", "jpeg"),
    ],
)
def test_a_pdf_png_or_jpeg_is_attached_outside_the_web_root(
    portal_client, pending, content, name, kind
):
    response = _upload(portal_client, pending, content, name=name)
    assert response.status_code == 302
    proof = TransferProof.objects.get(payment=pending)
    assert proof.kind == kind and proof.size == len(content)
    stored = proof_path(proof.stored_name)
    assert stored.read_bytes() == content
    assert stored.parent == Path(settings.MEDIA_ROOT) / "proofs"
    assert Path(settings.STATIC_ROOT) not in stored.parents
    assert name not in proof.stored_name  # a random name, not the customer's
    assert AuditEntry.objects.filter(action="banktransfer.proof_attach").count() == 1

    download = portal_client.get(_url(pending, "proof_download", proof_id=proof.pk))
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == content
    assert download["Content-Disposition"].startswith("attachment;")
    assert download["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in download["Content-Security-Policy"]


def test_an_html_file_renamed_pdf_is_refused(portal_client, pending):
    response = _upload(portal_client, pending, HTML_BYTES, name="invoice.pdf")
    assert response.status_code == 400
    assert "PDF, PNG or JPEG" in response.content.decode()
    assert not TransferProof.objects.exists()
    proofs = Path(settings.MEDIA_ROOT) / "proofs"
    assert not proofs.exists() or not any(p.read_bytes() == HTML_BYTES for p in proofs.iterdir())


def test_an_oversize_file_is_refused(portal_client, pending, settings):
    settings.PAYDESK_PROOF_MAX_BYTES = 1024
    response = _upload(portal_client, pending, PDF_BYTES + b"0" * 1024)
    assert response.status_code == 400
    assert "too large" in response.content.decode()
    assert not TransferProof.objects.exists()


def test_an_empty_file_is_refused_at_the_field(portal_client, pending):
    response = _upload(portal_client, pending, b"")
    assert response.status_code == 400
    assert not TransferProof.objects.exists()


def test_no_proof_on_a_final_transfer(portal_user, pending):
    transfer_cancel_by_customer(payment=pending, user=portal_user)
    pending.refresh_from_db()
    with pytest.raises(InvalidTransition):
        transfer_proof_attach(
            payment=pending, user=portal_user, upload=SimpleUploadedFile("a.pdf", PDF_BYTES)
        )
    with pytest.raises(ProofRefused):
        transfer_proof_attach(
            payment=transfer(pending.customer),
            user=portal_user,
            upload=SimpleUploadedFile("a.pdf", HTML_BYTES),
        )


def test_staff_see_and_download_the_proof_in_the_back_office(portal_user, support_user, pending):
    proof = transfer_proof_attach(
        payment=pending, user=portal_user, upload=SimpleUploadedFile("r.pdf", PDF_BYTES)
    )
    staff = signed_in(support_user)
    page = staff.get(reverse("backoffice:banktransfers_banktransfer_change", args=[pending.pk]))
    assert page.status_code == 200
    url = reverse("backoffice:banktransfers_banktransfer_proof", args=[pending.pk, proof.pk])
    assert url in page.content.decode()
    download = staff.get(url)
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == PDF_BYTES
    other = transfer(pending.customer)
    wrong = reverse("backoffice:banktransfers_banktransfer_proof", args=[other.pk, proof.pk])
    assert staff.get(wrong).status_code == 404


# Cancel by the customer -------------------------------------------------------------------------


def test_the_customer_cancels_their_own_pending_transfer(portal_client, portal_user, pending):
    response = portal_client.post(_url(pending, "cancel"))
    assert response.status_code == 302
    pending.refresh_from_db()
    assert pending.status == "cancelled"
    assert pending.cancel_reason == CUSTOMER_CANCEL_REASON
    assert pending.cancelled_by == portal_user
    assert AuditEntry.objects.filter(action="payment.cancel", actor=portal_user).exists()


def test_a_user_without_make_payments_cannot_cancel(customer, pending):
    bookkeeper = PortalUserFactory(customer=customer, can_make_payments=False)
    client = signed_in(bookkeeper)
    html = client.get(_url(pending)).content.decode()
    assert "Cancel transfer" not in html and 'name="proof"' not in html
    client.post(_url(pending, "cancel"))
    assert Payment.objects.get(pk=pending.pk).status == "pending"
    with pytest.raises(PermissionDenied):
        transfer_cancel_by_customer(payment=pending, user=bookkeeper)
    assert _upload(client, pending, PDF_BYTES).status_code == 400
    assert not TransferProof.objects.exists()


def test_only_a_pending_bank_transfer_can_be_cancelled(portal_user, customer):
    from paydesk.banktransfers.errors import TransferError

    card = payment_create(
        customer=customer, total="10", description="Card", status="pending", method="card"
    )
    with pytest.raises(TransferError):
        transfer_cancel_by_customer(payment=card, user=portal_user)
    pending = transfer(customer)
    transfer_cancel_by_customer(payment=pending, user=portal_user)
    pending.refresh_from_db()
    with pytest.raises(InvalidTransition):
        transfer_cancel_by_customer(payment=pending, user=portal_user)


def test_another_customers_user_cannot_cancel_through_the_service(pending, rival):
    from paydesk.banktransfers.errors import TransferError

    _other, their_user, _theirs, _proof = rival
    with pytest.raises(TransferError):
        transfer_cancel_by_customer(payment=pending, user=their_user)
    assert Payment.objects.get(pk=pending.pk).status == "pending"


# CSRF -------------------------------------------------------------------------------------------


def test_the_forms_need_a_csrf_token(portal_user, pending):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(portal_user)
    assert client.post(_url(pending, "cancel")).status_code == 403
    assert _upload(client, pending, PDF_BYTES).status_code == 403
    assert Payment.objects.get(pk=pending.pk).status == "pending"
    assert not TransferProof.objects.exists()
    page = client.get(_url(pending)).content.decode()
    assert page.count('name="csrfmiddlewaretoken"') >= 3  # time zone, sign out… and ours
    assert 'action="' + _url(pending, "cancel") + '"' in page


def test_a_transfer_already_being_approved_cannot_be_cancelled_by_the_customer(
    portal_client, portal_user, customer, finance_user, settings
):
    from paydesk.banktransfers.errors import TransferError
    from paydesk.banktransfers.services import transfer_complete

    settings.PAYDESK_TRANSFER_TWO_PERSON_THRESHOLD = Decimal("1000")
    pending = transfer(customer, total="5000")
    transfer_complete(
        payment=pending, actor=finance_user, received_amount="5000", received_currency="USD"
    )
    html = portal_client.get(_url(pending)).content.decode()
    assert "received your transfer" in html and "Cancel transfer" not in html
    with pytest.raises(TransferError):
        transfer_cancel_by_customer(payment=pending, user=portal_user)
    assert Payment.objects.get(pk=pending.pk).status == "pending"
