"""The back office: payment details edited by Administrators only; each bank transfer's page with
"Complete with amount received" (credit and difference shown before confirming); the plain
Complete action and the bulk action never bypass the two-person rule."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse

from paydesk.audit.models import AuditEntry
from paydesk.banktransfers.models import BankDetails, TransferApproval
from paydesk.ledger.models import Payment
from paydesk.ledger.services import payment_create
from tests.banktransfers.conftest import signed_in, transfer

pytestmark = pytest.mark.django_db


def _page(payment) -> str:
    return reverse("backoffice:banktransfers_banktransfer_change", args=[payment.pk])


DETAILS = {
    "beneficiary_name": "Paydesk Telecom Ltd",
    "account_number": "DE89 3704 0044 0532 0130 00",
    "bank_name": "Commerzbank",
    "bank_address": "Kaiserplatz, Frankfurt",
    "swift": "cobadeffxxx",
}


def test_an_administrator_sets_the_payment_details_audited(admin_user):
    client = signed_in(admin_user)
    response = client.post(reverse("backoffice:banktransfers_bankdetails_add"), DETAILS)
    assert response.status_code == 302
    details = BankDetails.objects.get()
    assert details.swift == "COBADEFFXXX"
    entry = AuditEntry.objects.get(action="bank_details.update")
    assert entry.actor == admin_user and entry.after["bank_name"] == "Commerzbank"
    # The list goes straight to the one row.
    listing = client.get(reverse("backoffice:banktransfers_bankdetails_changelist"))
    assert listing["Location"].endswith(f"/{details.pk}/change/")
    # The customer's page and the back office name it alike, in sentence case.
    page = client.get(listing["Location"]).content.decode()
    assert "Change payment details" in page and "Payment Details" not in page


def test_a_bad_swift_code_is_refused_at_the_field(admin_user):
    client = signed_in(admin_user)
    client.post(reverse("backoffice:banktransfers_bankdetails_add"), {**DETAILS, "swift": "x!"})
    assert not BankDetails.objects.exists()


@pytest.mark.parametrize("role", ["finance", "support"])
def test_only_administrators_edit_the_payment_details(role, bank_details):
    from tests.factories import StaffFactory

    client = signed_in(StaffFactory(staff_role=role))
    url = reverse("backoffice:banktransfers_bankdetails_change", args=[bank_details.pk])
    assert client.get(url).status_code == 403
    client.post(url, {**DETAILS, "bank_name": "Evil Bank"})
    assert BankDetails.objects.get().bank_name == "Northwind Bank"


def test_complete_with_amount_received_previews_then_confirms(customer, finance_user, pending):
    client = signed_in(finance_user)
    preview = client.post(_page(pending), {"received_amount": "240.00", "received_currency": "USD"})
    assert preview.status_code == 200
    html = preview.content.decode()
    assert "$240.00 USD" in html and "-$10.00 USD" in html  # credit and difference
    assert Payment.objects.get(pk=pending.pk).status == "pending"  # nothing yet

    confirmed = client.post(
        _page(pending),
        {"received_amount": "240.00", "received_currency": "USD", "previewed": "240.00|USD"},
    )
    assert confirmed.status_code == 302
    done = Payment.objects.get(pk=pending.pk)
    assert done.status == "completed" and done.total == Decimal("240.00")
    customer.refresh_from_db()
    assert customer.balance == Decimal("240.00")


def test_a_changed_amount_is_previewed_again_not_confirmed(finance_user, pending):
    client = signed_in(finance_user)
    response = client.post(
        _page(pending),
        {"received_amount": "250.00", "received_currency": "USD", "previewed": "240.00|USD"},
    )
    assert response.status_code == 200
    assert Payment.objects.get(pk=pending.pk).status == "pending"


def test_bad_input_is_shown_at_the_field(finance_user, pending):
    client = signed_in(finance_user)
    response = client.post(_page(pending), {"received_amount": "abc", "received_currency": "USD"})
    assert response.status_code == 200
    assert "is not a number" in response.content.decode()
    response = client.post(_page(pending), {"received_amount": "10", "received_currency": "ZZZ"})
    assert response.status_code == 200
    assert "ISO 4217" in response.content.decode()
    response = client.post(_page(pending), {"received_amount": "10", "received_currency": "GBP"})
    assert "No exchange rate" in response.content.decode()


def test_the_page_shows_the_approval_state(customer, finance_user, second_finance_user, settings):
    settings.PAYDESK_TRANSFER_TWO_PERSON_THRESHOLD = Decimal("1000")
    pending = transfer(customer, total="3000")
    first = signed_in(finance_user)
    data = {"received_amount": "3000", "received_currency": "USD", "previewed": "3000|USD"}
    first.post(_page(pending), data)
    assert TransferApproval.objects.filter(payment=pending).count() == 1
    html = first.get(_page(pending)).content.decode()
    assert "awaiting second approval" in html
    # The same person again is refused with a message, nothing changes.
    again = first.post(_page(pending), data)
    assert "second Finance user" in again.content.decode()
    assert Payment.objects.get(pk=pending.pk).status == "pending"
    # The second person completes it.
    signed_in(second_finance_user).post(_page(pending), data)
    assert Payment.objects.get(pk=pending.pk).status == "completed"


def test_support_cannot_complete_from_the_page(support_user, pending):
    client = signed_in(support_user)
    page = client.get(_page(pending))
    assert page.status_code == 200
    assert "Complete with amount received" not in page.content.decode()
    response = client.post(
        _page(pending),
        {"received_amount": "250", "received_currency": "USD", "previewed": "250|USD"},
    )
    assert response.status_code == 403
    assert Payment.objects.get(pk=pending.pk).status == "pending"
    assert not TransferApproval.objects.exists()


def test_the_plain_complete_action_sends_bank_transfers_to_their_page(
    customer, finance_user, settings
):
    settings.PAYDESK_TRANSFER_TWO_PERSON_THRESHOLD = Decimal("1000")
    pending = transfer(customer, total="5000")
    client = signed_in(finance_user)
    url = reverse("backoffice:ledger_payment_complete", args=[pending.pk])
    assert client.get(url)["Location"] == _page(pending)
    response = client.post(url, {"total": "5000"})
    assert response.status_code == 302 and response["Location"] == _page(pending)
    assert Payment.objects.get(pk=pending.pk).status == "pending"


def test_bulk_complete_keeps_the_two_person_rule(customer, finance_user, settings):
    from paydesk.ledger.services import payment_create

    settings.PAYDESK_TRANSFER_TWO_PERSON_THRESHOLD = Decimal("1000")
    large = transfer(customer, total="5000")
    small = transfer(customer, total="100")
    card = payment_create(
        customer=customer, total="20", description="Card", status="pending", method="card"
    )
    client = signed_in(finance_user)
    response = client.post(
        reverse("backoffice:ledger_payment_changelist"),
        {
            "action": "complete_selected",
            "_selected_action": [large.pk, small.pk, card.pk],
            "post": "yes",
        },
        follow=True,
    )
    assert response.status_code == 200
    assert Payment.objects.get(pk=large.pk).status == "pending"
    assert TransferApproval.objects.filter(payment=large, approver=finance_user).exists()
    assert Payment.objects.get(pk=small.pk).status == "completed"
    assert Payment.objects.get(pk=card.pk).status == "completed"
    assert "second Finance user" in response.content.decode()
    customer.refresh_from_db()
    assert customer.balance == Decimal("120")


def test_staff_find_a_transfer_by_its_reference(support_user, pending):
    client = signed_in(support_user)
    for url in (
        reverse("backoffice:ledger_payment_changelist"),
        reverse("backoffice:banktransfers_banktransfer_changelist"),
    ):
        response = client.get(url, {"q": pending.reference})
        assert response.status_code == 200
        assert pending.reference in response.content.decode()


def test_the_payment_page_links_to_the_transfer_page(support_user, pending):
    client = signed_in(support_user)
    html = client.get(reverse("backoffice:ledger_payment_change", args=[pending.pk])).content
    assert _page(pending) in html.decode()


def test_a_reference_typed_loosely_finds_the_transfer(support_user, customer, pending):
    other = transfer(customer)
    loose = pending.reference.lower().replace("-", "").replace("0", "o")
    response = signed_in(support_user).get(
        reverse("backoffice:banktransfers_banktransfer_changelist"), {"q": loose}
    )
    html = response.content.decode()
    assert pending.reference in html and other.reference not in html


def test_the_transfers_list_has_each_transfer_s_description(support_user, customer):
    """The list had no description: two transfers of one customer for one amount differed by
    their references alone. The public description shows; the staff comment stays on the page."""
    payment_create(
        customer=customer, total="250", description="Wire transfer IB6AW-3KG60 #seen at the bank",
        status="pending", method="bank_transfer", gateway="bank_transfer",
    )  # fmt: skip
    html = (
        signed_in(support_user)
        .get(reverse("backoffice:banktransfers_banktransfer_changelist"))
        .content.decode()
    )
    assert 'class="sortable column-description"' in html
    assert 'field-description">Wire transfer IB6AW-3KG60</td>' in html
    assert "seen at the bank" not in html
