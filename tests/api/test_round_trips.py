"""How many times a top-up waits for PostgreSQL (bench P5): each round trip is one Query (a
statement sent whole) or one Sync (the end of a batch of prepared statements), counted from
libpq's own trace of what the client sent, as bench/p5_profile.py counts them. Served as in
production: outside any test transaction, the request's atomic() block the outermost."""

from __future__ import annotations

import pytest

from paydesk.accounts.models import Contact
from paydesk.api.models import IdempotencyRecord
from paydesk.ledger.models import Payment
from paydesk.notifications.models import OutboundEmail
from paydesk.vouchers.batches import voucher_batch_issue
from tests.api.conftest import ApiClient, key_for
from tests.pgtrace import frontend_messages

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

BODY = {"method": "bank_transfer", "amount": "100.00", "currency": "USD"}


def _round_trips(action) -> list[list[str]]:  # noqa: ANN001 — a callable making one request
    """The round trips the client made while `action` ran, each as the statements it sent
    ("Execute": a prepared one; "Query BEGIN", "Query COMMIT", "Query": sent whole), ending at
    its Query or Sync."""
    sent = frontend_messages(action)
    trips: list[list[str]] = []
    batch: list[str] = []
    for parts in sent:
        kind, text = parts[1], " ".join(parts[2:]).strip()
        if kind == "Query":
            named = text.strip('"') if text in ('"BEGIN"', '"COMMIT"') else ""
            batch.append(f"Query {named}".strip())
        elif kind == "Execute":
            batch.append(kind)
        if kind in ("Query", "Sync"):
            trips.append(batch)
            batch = []
    return trips


def _post(api: ApiClient, body: dict, key: str) -> None:
    answer = api.post("/api/v1/payments", body, **{"Idempotency-Key": key})
    assert answer.status_code == 201, answer.content


def test_a_bank_transfer_waits_seven_times(portal_user, method_configs, bank_details):
    api = ApiClient(key_for(portal_user))
    _post(api, BODY, "warm-up")  # the statements are prepared on this connection
    trips = _round_trips(lambda: _post(api, BODY, "counted"))
    # The API key's read; BEGIN; the settings with the contacts (pay_reads); the payment's
    # statement, which writes the instructions email's outbox row too; the quote; the
    # idempotency record; COMMIT. Before: nine (the contacts and the outbox row apart).
    assert trips == [
        ["Execute"],
        ["Query BEGIN"],
        ["Execute"],
        ["Execute"],
        ["Execute"],
        ["Execute"],
        ["Query COMMIT"],
    ], trips
    assert Payment.objects.count() == 2
    assert IdempotencyRecord.objects.filter(key="counted", status_code=201).count() == 1
    payment = Payment.objects.latest("id")
    emails = OutboundEmail.objects.filter(payment=payment)
    assert [(e.to, e.context["reference"]) for e in emails] == [
        (portal_user.email.lower(), payment.reference)
    ]


def test_a_voucher_waits_eight_times(portal_user):
    _batch, codes = voucher_batch_issue(count=2, currency="USD", addition="7", actor=None)
    api = ApiClient(key_for(portal_user))
    _post(api, {"method": "voucher", "code": codes[0], "currency": "USD"}, "warm-up")
    body = {"method": "voucher", "code": codes[1], "currency": "USD"}
    trips = _round_trips(lambda: _post(api, body, "counted"))
    # The API key's read; BEGIN; the portal defaults with the contacts (none: no receipt
    # queued); the claim with its read-back; the balance UPDATE; the payment's statement (its
    # audit entries, the voucher's link); the idempotency record; COMMIT. Before: nine (the
    # contacts apart).
    assert trips == [
        ["Execute"],
        ["Query BEGIN"],
        ["Execute"],
        ["Execute"],
        ["Execute"],
        ["Execute"],
        ["Execute"],
        ["Query COMMIT"],
    ], trips
    assert sorted(p.total for p in Payment.objects.all()) == [7, 7]
    assert IdempotencyRecord.objects.filter(key="counted", status_code=201).count() == 1


def test_a_voucher_tells_the_contacts_it_read_with_the_portal_defaults(portal_user):
    Contact.objects.create(customer=portal_user.customer, email="Billing@Example.com")
    _batch, [code] = voucher_batch_issue(count=1, currency="USD", addition="7", actor=None)
    api = ApiClient(key_for(portal_user))
    _post(api, {"method": "voucher", "code": code, "currency": "USD"}, "receipt")
    payment = Payment.objects.get()
    [email] = OutboundEmail.objects.filter(payment=payment)
    assert (email.to, email.kind, email.context["reference"]) == (
        "billing@example.com",
        "payment_received",
        payment.reference,
    )
