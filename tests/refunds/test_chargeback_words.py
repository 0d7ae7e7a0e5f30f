"""A chargeback row whose reason was stored as its gateway's code ("Chargeback of PD-…:
fraudulent", as Paydesk stored it before the gateways' reasons had words) reads the same
everywhere it is shown: the portal's page (paydesk.shapes.payment_description_shown), its CSV,
the customer API and its CSV, the checkout's status page, the outgoing webhooks' event, the staff
API, the ConnexCS-compatible list and the back office's CSV. Review finding: the CSV and the API
still gave the code, so a customer read one text on the page and another in the download."""

from __future__ import annotations

import csv
import io
import json
import re
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from paydesk.ledger.disputes import dispute_apply
from paydesk.ledger.models import Payment
from paydesk.ledger.services import payment_create
from paydesk.outhooks.models import Event
from tests.api.conftest import ApiClient, key_for
from tests.backoffice.conftest import PAYMENTS, signed_in
from tests.portal.conftest import MODEL_BACKEND
from tests.refunds.conftest import card_payment

pytestmark = pytest.mark.django_db

# Stripe's `fraudulent` in Stripe's words (gateways/stripe/disputes.py).
SAID = "the cardholder says they did not authorise the payment"


@pytest.fixture
def chargeback(portal_user) -> Payment:
    """A 50.00 card top-up charged back 10.00, the dispute's reason Stripe's bare code."""
    paid = card_payment(portal_user.customer)
    change = dispute_apply(
        original=paid, gateway="card", dispute_id="dp_1", stage="lost",
        account_total=Decimal("10.00"), reason="fraudulent",
    )  # fmt: skip
    row = change.posted
    assert row is not None and row.description == f"Chargeback of {paid.reference}: fraudulent"
    return row


def worded(chargeback: Payment) -> str:
    return f"Chargeback of {chargeback.original.reference}: {SAID}"


def csv_table(response) -> list[list[str]]:
    assert response.status_code == 200, response.content
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.reader(io.StringIO(body, newline="")))


def description_cells(table: list[list[str]], reference: str) -> list[str]:
    header, *rows = table
    at, ref = header.index("Description"), header.index("Reference")
    return [row[at] for row in rows if row[ref] == reference]


@pytest.fixture
def portal_client(client, portal_user):
    client.force_login(portal_user, backend=MODEL_BACKEND)
    return client


def test_the_portal_csv_says_what_the_payments_page_says(portal_client, chargeback):
    page = portal_client.get("/payments/").content.decode()
    assert worded(chargeback) in page and ": fraudulent" not in page
    table = csv_table(portal_client.get("/payments/export.csv"))
    assert description_cells(table, chargeback.reference) == [worded(chargeback)]
    # The top-up charged back keeps its own description.
    assert description_cells(table, chargeback.original.reference) == ["Credit Card top-up"]


def test_the_csv_words_chargebacks_only_and_without_a_query_per_row(
    portal_client, chargeback, django_assert_num_queries
):
    """Only a chargeback row is worded (a description that merely reads like one stays as it
    was stored), and the words cost no query: the export makes as many with three chargebacks
    as with one."""
    with CaptureQueriesContext(connection) as one:
        csv_table(portal_client.get("/payments/export.csv"))
    more = [
        dispute_apply(
            original=card_payment(chargeback.customer, n=n), gateway="card",
            dispute_id=f"dp_{n}", stage="lost", reason="fraudulent",
        ).posted
        for n in (2, 3)
    ]  # fmt: skip
    look_alike = payment_create(
        customer=chargeback.customer, total="-1", description="Chargeback of X: fraudulent"
    )
    with django_assert_num_queries(len(one)):
        table = csv_table(portal_client.get("/payments/export.csv"))
    for row in (chargeback, *more):
        assert row is not None
        assert description_cells(table, row.reference) == [worded(row)]
    assert description_cells(table, look_alike.reference) == ["Chargeback of X: fraudulent"]


def test_the_customer_api_lists_and_shows_the_words(portal_user, chargeback):
    api = ApiClient(key_for(portal_user, "read"))
    listed = api.get("/api/v1/payments")
    assert listed.status_code == 200, listed.content
    by_reference = {row["reference"]: row for row in listed.json()["data"]}
    assert by_reference[chargeback.reference]["description"] == worded(chargeback)
    one = api.get(f"/api/v1/payments/{chargeback.reference}")
    assert one.status_code == 200, one.content
    assert one.json()["description"] == worded(chargeback)


def test_the_customer_api_csv_says_the_words(portal_user, chargeback):
    api = ApiClient(key_for(portal_user, "read"))
    table = csv_table(api.get("/api/v1/payments.csv"))
    assert description_cells(table, chargeback.reference) == [worded(chargeback)]


def test_the_checkout_status_page_says_the_words(portal_client, chargeback):
    page = portal_client.get(f"/pay/status/{chargeback.reference}/")
    assert page.status_code == 200
    assert f"<dd>{worded(chargeback)}</dd>" in page.content.decode().replace("&#x27;", "'")


def test_the_chargeback_event_carries_the_words(chargeback):
    """The outgoing webhooks' `chargeback.created` is the payment as the API shows it."""
    event = Event.objects.get(payment=chargeback, type="chargeback.created")
    assert json.loads(event.data)["description"] == worded(chargeback)


def test_the_staff_api_says_what_the_back_office_page_says(finance_user, chargeback):
    """Staff read the customer's text, as the back office shows it; the gateway's code stays on
    the dispute (`/api/v1/staff/disputes`, `reason`)."""
    staff = ApiClient(key_for(finance_user, "read"))
    listed = staff.get("/api/v1/staff/payments", {"customer_id": chargeback.customer_id})
    assert listed.status_code == 200, listed.content
    by_reference = {row["reference"]: row for row in listed.json()["data"]}
    assert by_reference[chargeback.reference]["description"] == worded(chargeback)
    disputes = staff.get("/api/v1/staff/disputes", {"payment": chargeback.original.reference})
    assert [d["reason"] for d in disputes.json()] == ["fraudulent"]


def test_the_connexcs_list_says_the_words(finance_user, chargeback):
    staff = ApiClient(key_for(finance_user, "read"))
    listing = staff.get("/api/cp/payment", {"company_id": chargeback.customer_id})
    assert listing.status_code == 200, listing.content
    rows = {row["reference"]: row for row in listing.json()["rows"]}
    assert rows[chargeback.reference]["description"] == worded(chargeback)


def test_the_back_office_csv_says_what_its_page_says(support_user, chargeback):
    support = signed_in(support_user)
    page = support.get(PAYMENTS).content.decode().replace("&#x27;", "'")
    assert worded(chargeback) in page
    table = csv_table(support.get(PAYMENTS + "export.csv"))
    assert description_cells(table, chargeback.reference) == [worded(chargeback)]


def _references(response) -> set[str]:
    assert response.status_code == 200, response.content
    return set(re.findall(r"[0-9A-Z]{5}-[0-9A-Z]{5}-[0-9A-Z]", response.content.decode()))


def test_the_payments_search_finds_a_chargeback_by_the_words_it_shows(
    portal_client, chargeback, portal_user
):
    """The review's finding: the Payments page's search read the stored code, so searching the
    words the customer saw ("did not authorise") found nothing. It finds them, in any case and
    in every spelling the code was stored in; a search no reason says adds nothing."""
    spaced = dispute_apply(
        original=card_payment(portal_user.customer, n=2), gateway="card", dispute_id="dp_2",
        stage="lost", account_total=Decimal("5.00"), reason="product not received",
    ).posted  # fmt: skip
    assert spaced is not None and spaced.description.endswith(": product not received")
    unworded = payment_create(
        customer=portal_user.customer, total="-1", description="fraudulent-looking call"
    )  # a purchase: stored text only

    found = _references(portal_client.get("/payments/", {"q": "Did Not Authorise"}))
    assert chargeback.reference in found and spaced.reference not in found
    found = _references(portal_client.get("/payments/", {"q": "receive what they paid"}))
    assert spaced.reference in found and chargeback.reference not in found
    assert chargeback.reference in _references(
        portal_client.get("/payments/", {"q": chargeback.original.reference})
    )  # the lead, as before
    found = _references(portal_client.get("/payments/", {"q": "authorise"}))
    assert unworded.reference not in found and chargeback.reference in found

    table = csv_table(portal_client.get("/payments/export.csv", {"q": "did not authorise"}))
    assert [row[1] for row in table[1:]] == [chargeback.reference]
    api = ApiClient(key_for(portal_user, "read")).get("/api/v1/payments", {"q": "not authorise"})
    assert [row["reference"] for row in api.json()["data"]] == [chargeback.reference]


def test_staff_search_finds_a_chargeback_by_the_words_it_shows(
    finance_user, support_user, chargeback
):
    staff = ApiClient(key_for(finance_user, "read"))
    listed = staff.get("/api/v1/staff/payments", {"q": "did not authorise"})
    assert [row["reference"] for row in listed.json()["data"]] == [chargeback.reference]
    page = signed_in(support_user).get(PAYMENTS, {"q": "did not authorise"})
    assert chargeback.reference in _references(page)
    assert chargeback.original.reference in _references(page)  # linked from the chargeback
    other = signed_in(support_user).get(PAYMENTS, {"q": "nothing says this"})
    assert chargeback.reference not in _references(other)
