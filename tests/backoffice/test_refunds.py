"""The back office's Refund action and what a payment's page says about refunds and disputes."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.contrib.messages import get_messages
from django.utils.html import escape

from paydesk.audit.models import AuditEntry
from paydesk.ledger.disputes import dispute_apply
from paydesk.ledger.models import Dispute, Payment, PaymentRelation, PaymentStatus
from paydesk.ledger.services import payment_create
from tests.backoffice.conftest import PAYMENTS
from tests.refunds.conftest import card_payment

pytestmark = pytest.mark.django_db


def refund_url(payment) -> str:
    return f"{PAYMENTS}{payment.pk}/refund/"


def texts(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def form_of(finance, payment) -> dict[str, str]:
    response = finance.get(refund_url(payment))
    assert response.status_code == 200
    return {"form_token": response.context["form"].initial["form_token"]}


def test_finance_sees_refund_on_a_completed_top_up_and_support_does_not(
    finance, support, card_gateway, customer
):
    payment = card_payment(customer)
    page = finance.get(f"{PAYMENTS}{payment.pk}/change/").content.decode()
    assert refund_url(payment) in page
    assert "Refunded $0.00 USD of $50.00 USD" in page
    support_page = support.get(f"{PAYMENTS}{payment.pk}/change/").content.decode()
    assert refund_url(payment) not in support_page
    assert support.get(refund_url(payment)).status_code == 403
    form = finance.get(refund_url(payment))
    assert "refundable: $50.00 USD of $50.00 USD" in form.content.decode()
    assert "note" not in form.context["form"].fields  # the card gateway has a refund API


def test_a_partial_refund_is_confirmed_then_made_once(
    finance, finance_user, card_gateway, customer
):
    payment = card_payment(customer)
    data = {**form_of(finance, payment), "total": "20.00", "reason": "Unused minutes"}
    confirm = finance.post(refund_url(payment), data)
    assert confirm.status_code == 200
    body = confirm.content.decode()
    assert "Send $20.00 USD of" in body and "Refund $20.00 USD now" in body
    # The method by its name, never the gateway's code ("through card").
    assert "back to the customer through the Credit Card gateway?" in body
    assert "Through the Credit Card gateway's refund API" in body
    assert not Payment.objects.filter(original=payment).exists()  # nothing moved yet
    done = finance.post(refund_url(payment), {**data, "confirm": "yes"})
    refund = Payment.objects.get(original=payment)
    assert done.status_code == 302 and done["Location"] == f"{PAYMENTS}{refund.pk}/change/"
    assert (refund.relation, refund.status, refund.total) == (
        PaymentRelation.REFUND,
        PaymentStatus.COMPLETED,
        Decimal("-20.00"),
    )
    assert "done" in texts(done)[0]
    # The same form posted again (a double click) refunds nothing more.
    finance.post(refund_url(payment), {**data, "confirm": "yes"})
    assert Payment.objects.filter(original=payment).count() == 1
    customer.refresh_from_db()
    assert customer.balance == Decimal("30.00")
    assert AuditEntry.objects.get(action="payment.refund").actor == finance_user
    original_page = finance.get(f"{PAYMENTS}{payment.pk}/change/").content.decode()
    assert "Refunded $20.00 USD of $50.00 USD" in original_page
    assert f"{PAYMENTS}{refund.pk}/change/" in original_page
    refund_page = finance.get(f"{PAYMENTS}{refund.pk}/change/").content.decode()
    link = f'Refund of <a href="{PAYMENTS}{payment.pk}/change/">{payment.reference}</a>'
    assert link in refund_page


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"total": "60", "reason": "x"}, "total", "At most $50.00 USD"),
        ({"total": "abc", "reason": "x"}, "total", ""),
        ({"total": "-5", "reason": "x"}, "total", "above zero"),
        ({"total": "20.005", "reason": "x"}, "total", "A refund in USD has at most 2 decimals."),
        ({"total": "5", "reason": ""}, "reason", "required"),
    ],
)
def test_bad_input_is_shown_by_the_field(finance, card_gateway, customer, fields, field, message):
    payment = card_payment(customer)
    response = finance.post(refund_url(payment), {**form_of(finance, payment), **fields})
    assert response.status_code == 200
    assert message in " ".join(response.context["form"].errors[field])
    assert not Payment.objects.filter(original=payment).exists()


def test_past_the_available_credit_needs_allow_overdraft(finance, card_gateway, customer):
    payment = card_payment(customer)
    payment_create(customer=customer, total="-40", description="Calls", method="manual")
    data = {**form_of(finance, payment), "total": "20", "reason": "Asked", "confirm": "yes"}
    response = finance.post(refund_url(payment), data)
    assert response.status_code == 200
    error = response.context["form"].errors["total"][0]
    assert error.endswith("Tick Allow overdraft to refund anyway.")
    assert error.count("Allow overdraft") == 1  # said once, not twice
    response = finance.post(refund_url(payment), {**data, "allow_overdraft": "on"})
    assert response.status_code == 302
    customer.refresh_from_db()
    assert customer.balance == Decimal("-10.00")


def test_a_refund_the_gateway_declines_says_why(finance, card_gateway, customer):
    from paydesk.gateways.base import Outcome

    card_gateway.answer = Outcome.CANCELLED
    payment = card_payment(customer)
    data = {**form_of(finance, payment), "reason": "Asked", "confirm": "yes"}
    response = finance.post(refund_url(payment), data)
    assert "insufficient funds" in texts(response)[0]
    assert Payment.objects.get(original=payment).status == PaymentStatus.CANCELLED


def test_a_bank_transfer_is_refunded_as_recorded_outside(finance, customer):
    payment = payment_create(
        customer=customer, total="80", description="Bank transfer", method="bank_transfer"
    )
    form = finance.get(refund_url(payment))
    assert "note" in form.context["form"].fields
    assert "record it here as made outside Paydesk" in form.content.decode()
    data = {
        "form_token": form.context["form"].initial["form_token"],
        "reason": "Closed account",
        "note": "Wire 2026-12-01 ref OUT-77",
    }
    confirm = finance.post(refund_url(payment), data)
    assert "Record refund of $80.00 USD" in confirm.content.decode()
    finance.post(refund_url(payment), {**data, "confirm": "yes"})
    refund = Payment.objects.get(original=payment)
    assert refund.status == PaymentStatus.COMPLETED
    assert refund.staff_comment == "Wire 2026-12-01 ref OUT-77"


def test_nothing_left_sends_back_to_the_payment(finance, customer):
    purchase = payment_create(
        customer=customer, total="-5", description="Calls", method="manual", allow_overdraft=True
    )
    response = finance.get(refund_url(purchase))
    assert response.status_code == 302
    assert "Nothing of payment" in texts(response)[0]


def test_disputes_show_on_the_payment_and_in_the_open_disputes_list(finance, support, customer):
    import datetime

    payment = card_payment(customer)
    due = datetime.datetime(2027, 1, 15, 12, 0, tzinfo=datetime.UTC)
    dispute_apply(
        original=payment,
        gateway="card",
        dispute_id="dp_1",
        stage="opened",
        amount=Decimal("50.00"),
        currency="USD",
        reason="fraudulent",
        evidence_due=due,
    )
    said = "the cardholder says they did not authorise the payment"  # Stripe's `fraudulent`
    page = finance.get(f"{PAYMENTS}{payment.pk}/change/").content.decode()
    assert "dp_1" in page and f"<td>{said}</td>" in page and "2027-01-15" in page
    listed = support.get(f"{PAYMENTS}?dispute=open").content.decode()
    assert payment.reference in listed
    disputes = support.get("/backoffice/ledger/dispute/?status__exact=open").content.decode()
    assert "dp_1" in disputes and said in disputes and "$50.00 USD" in disputes
    other = card_payment(customer, n=2)
    assert other.reference not in support.get(f"{PAYMENTS}?dispute=open").content.decode()


@pytest.mark.parametrize("dispute", ["open", "any"])
def test_the_totals_of_a_disputes_filter_count_each_payment_once(finance, customer, dispute):
    """A payment disputed twice is one row of the list: the totals above it said 2 payments and
    twice its amount (the join to its disputes), and the CSV has it once too."""
    payment = card_payment(customer)
    card_payment(customer, n=2, total="7.00")  # not disputed: in neither
    for n in (1, 2):
        dispute_apply(
            original=payment, gateway="card", dispute_id=f"dp_twice_{n}", stage="opened",
            amount=Decimal("10.00"), currency="USD", reason="fraudulent",
        )  # fmt: skip
    response = finance.get(f"{PAYMENTS}?dispute={dispute}")
    assert response.context["cl"].result_count == 1
    [usd] = response.context["payment_totals"]
    assert usd["completed"] == {"count": 1, "total": "$50.00 USD"}
    assert "$50.00 USD (1)" in response.content.decode()
    csv_text = b"".join(finance.get(f"{PAYMENTS}export.csv?dispute={dispute}").streaming_content)
    assert csv_text.decode("utf-8-sig").count(payment.reference) == 1


def test_the_disputes_list_and_a_dispute_say_it_is_answered_at_the_gateway(finance, customer):
    """A dispute's page showed 'needs_response' and a deadline with no word of where to respond;
    its only button, 'Close', read as closing the dispute."""
    payment = card_payment(customer, n=3)
    dispute_apply(
        original=payment, gateway="card", dispute_id="dp_3", stage="opened",
        amount=Decimal("50.00"), currency="USD", reason="fraudulent",
    )  # fmt: skip
    answer = "A dispute is answered at its gateway (the Stripe, PayPal, Razorpay or Paystack"
    listed = finance.get("/backoffice/ledger/dispute/").content.decode()
    assert answer in listed and "dp_3" in listed
    empty = finance.get("/backoffice/ledger/dispute/?status__exact=won").content.decode()
    assert answer in empty  # the empty list too: where disputes come from
    dispute = Dispute.objects.get(dispute_id="dp_3")
    page = finance.get(f"/backoffice/ledger/dispute/{dispute.pk}/change/").content.decode()
    assert f'<div class="description">{answer}' in page


def test_a_dispute_names_its_gateway_as_its_dashboard_does(finance, customer):
    """Disputes are keyed by payment method ("card"): the list, its filter and the page said
    "card" where Finance looks for Stripe, whose dashboard is where a dispute is answered."""
    payment = card_payment(customer, n=4)
    dispute_apply(
        original=payment, gateway="card", dispute_id="dp_4", stage="opened",
        amount=Decimal("50.00"), currency="USD", reason="fraudulent",
    )  # fmt: skip
    listed = finance.get("/backoffice/ledger/dispute/").content.decode()
    assert '<td class="field-gateway_display">Stripe</td>' in listed
    assert 'href="?gateway=card"' in listed and ">Stripe</a>" in listed
    filtered = finance.get("/backoffice/ledger/dispute/?gateway=card").content.decode()
    assert "dp_4" in filtered
    dispute = Dispute.objects.get(dispute_id="dp_4")
    page = finance.get(f"/backoffice/ledger/dispute/{dispute.pk}/change/").content.decode()
    assert '<div class="readonly">Stripe</div>' in page
    assert "card dispute" not in page and "Dispute dp_4 (open)" in page


def test_a_dispute_s_page_reads_its_gateway_status_in_words_and_leads_back(finance, customer):
    """The page showed Stripe's `needs_response` as it came, and its only control was Django's
    "Close", which read as closing the dispute."""
    payment = card_payment(customer, n=5)
    dispute_apply(
        original=payment, gateway="card", dispute_id="dp_5", stage="opened",
        amount=Decimal("50.00"), currency="USD", reason="the cardholder says they did not "
        "authorise the payment", gateway_status="needs_response",
    )  # fmt: skip
    dispute = Dispute.objects.get(dispute_id="dp_5")
    url = f"/backoffice/ledger/dispute/{dispute.pk}/change/"
    page = finance.get(url + "?_changelist_filters=status__exact%3Dopen").content.decode()
    assert (
        '<div class="readonly">Waiting for your evidence (answer in Stripe before the deadline) '
        '<span class="backoffice-code backoffice-quiet" title="The gateway&#x27;s code for this '
        'status">needs_response</span></div>'
    ) in page
    assert ">Close<" not in page
    back = '<a href="/backoffice/ledger/dispute/?status__exact=open" class="closelink">'
    assert back + "Back to disputes</a>" in page  # to the list it came from, filters kept
    assert 'type="submit"' not in page.split('<div class="submit-row">')[1].split("</div>")[0]
    Dispute.objects.filter(pk=dispute.pk).update(gateway="paypal", gateway_status="UNDER_REVIEW")
    page = finance.get(url).content.decode()
    assert 'Under review by PayPal <span class="backoffice-code' in page  # PayPal's words
    Dispute.objects.filter(pk=dispute.pk).update(
        gateway="paystack", gateway_status="awaiting-merchant-feedback"
    )
    page = finance.get(url).content.decode()
    assert (
        '<div class="readonly">Waiting for your response (accept or decline in Paystack before '
        'the deadline) <span class="backoffice-code backoffice-quiet" title="The gateway&#x27;s '
        'code for this status">awaiting-merchant-feedback</span></div>'
    ) in page  # Paystack's words
    Dispute.objects.filter(pk=dispute.pk).update(gateway_status="resolved (declined)")
    page = finance.get(url).content.decode()
    assert "Resolved: you declined it and the payment stands <span" in page
    Dispute.objects.filter(pk=dispute.pk).update(gateway_status="awaiting-customer-feedback")
    page = finance.get(url).content.decode()
    assert '<div class="readonly">awaiting customer feedback <span' in page  # unknown: readable
    Dispute.objects.filter(pk=dispute.pk).update(gateway="razorpay", gateway_status="open (fraud)")
    page = finance.get(url).content.decode()
    assert (
        '<div class="readonly">Waiting for your response: accept or contest it in Razorpay before '
        "the deadline (stage: risk review, raised by the customer&#x27;s bank after its own "
        'checks) <span class="backoffice-code backoffice-quiet" title="The gateway&#x27;s code '
        'for this status">open (fraud)</span></div>'
    ) in page  # Razorpay's words: its `fraud` phase accuses no one


@pytest.mark.parametrize(
    ("gateway", "stored", "shown"),
    [
        # Stored before Stripe's words: the code, or the code with its underscores as spaces.
        ("card", "fraudulent", "the cardholder says they did not authorise the payment"),
        ("card", "product not received", "the cardholder says they did not receive what they "
         "paid for"),
        # PayPal's code with its case id, as stored before PayPal's words.
        ("paypal", "UNAUTHORISED (PayPal case PP-D-1)", "the buyer says they did not authorise "
         "the payment (PayPal case PP-D-1)"),
        ("paystack", "chargeback", "the customer says they did not receive what they paid for, "
         "or not as promised"),
        # Razorpay's code, as stored before Razorpay's words when no free text came with it.
        ("razorpay", "processed_invalid_expired_card", "the customer's bank says the card was "
         "invalid or expired when it was charged"),
        # Razorpay's free text, as stored before: as stored.
        ("razorpay", "Goods not received", "Goods not received"),
        # Words already stored, and what no gateway lists: as stored.
        ("card", "the cardholder says they were charged more than once", "the cardholder says "
         "they were charged more than once"),
        ("card", "something new", "something new"),
    ],
)  # fmt: skip
def test_a_reason_stored_as_a_code_reads_in_words_without_editing_the_row(
    finance, customer, gateway, stored, shown
):
    """A dispute opened before its gateway's words kept the code ("fraudulent"): the dispute's
    page, the disputes list and the payment's page read the words; the row stays as stored. On
    the dispute's page the reason is a field of its own, so it starts with a capital."""
    payment = card_payment(customer, n=6)
    dispute_apply(
        original=payment, gateway=gateway, dispute_id="dp_6", stage="opened",
        amount=Decimal("50.00"), currency="USD", reason=stored,
    )  # fmt: skip
    dispute = Dispute.objects.get(dispute_id="dp_6")
    listed = finance.get("/backoffice/ledger/dispute/").content.decode()
    assert f'<td class="field-reason_display">{escape(shown)}</td>' in listed
    page = finance.get(f"/backoffice/ledger/dispute/{dispute.pk}/change/").content.decode()
    capital = escape(shown[:1].upper() + shown[1:])
    assert f'<div class="readonly">{capital}</div>' in page
    payment_page = finance.get(f"{PAYMENTS}{payment.pk}/change/").content.decode()
    assert f"<td>{escape(shown)}</td>" in payment_page
    dispute.refresh_from_db()
    assert dispute.reason == stored  # display only


def test_a_chargeback_row_stored_with_a_code_reads_in_words_in_the_payments_list(finance, customer):
    """A completed chargeback row is never edited: "Chargeback of PD-…: fraudulent" stays in the
    database and reads in words in the list and on its page."""
    payment = card_payment(customer, n=7)
    change = dispute_apply(
        original=payment, gateway="card", dispute_id="dp_7", stage="lost",
        amount=Decimal("50.00"), currency="USD", reason="fraudulent",
    )  # fmt: skip
    chargeback = change.posted  # the reason as Stripe's parser passed it before its words
    assert chargeback.description == f"Chargeback of {payment.reference}: fraudulent"
    said = f"Chargeback of {payment.reference}: the cardholder says they did not authorise the "
    said += "payment"
    listed = finance.get(f"{PAYMENTS}?relation=chargeback").content.decode()
    assert f'class="field-description_display">{said}</td>' in listed
    page = finance.get(f"{PAYMENTS}{chargeback.pk}/change/").content.decode()
    assert f'<div class="readonly">{said}</div>' in page
    assert "fraudulent" not in listed and "fraudulent" not in page
