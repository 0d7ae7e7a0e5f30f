"""The staff commands run in-process (call_command): what they print, what they write."""

from __future__ import annotations

import io
import json
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from paydesk.accounts.models import Customer, User
from paydesk.audit.models import AuditEntry
from paydesk.ledger.disputes import dispute_apply
from paydesk.ledger.models import Payment
from paydesk.ledger.services import payment_create
from tests.api.conftest import ApiClient, key_for
from tests.refunds.conftest import card_payment

pytestmark = pytest.mark.django_db


def run(*args: str) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command(*args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def run_json(*args: str) -> object:
    out, err = run(*args, "--json")
    assert err == ""
    return json.loads(out)


def fails(*args: str) -> str:
    """Run a command that must fail; return its stderr."""
    err = io.StringIO()
    with pytest.raises(CommandError):
        call_command(*args, stdout=io.StringIO(), stderr=err)
    return err.getvalue()


def test_worked_example_create_top_up_50_buy_10_balance_is_40():
    customer = run_json("customers", "create", "--name", "Acme Telecom", "--currency", "usd")
    assert customer["currency"] == "USD"
    assert customer["slug"] == "acme-telecom"
    assert customer["balance"] == "0.00"
    cid = str(customer["id"])

    top_up = run_json(
        "payments", "add", "--customer", cid, "--total", "50", "--description", "Top-up"
    )
    did = run_json(
        "payments", "add", "--customer", cid, "--total", "-10", "--description", "DID rental"
    )
    assert (top_up["balance_after"], did["balance_after"]) == ("50.00", "40.00")

    assert run_json("balance", "--customer", cid) == {
        "customer_id": customer["id"],
        "customer": "Acme Telecom",
        "currency": "USD",
        "balance": "40.00",
        "debit_limit": "0.00",
        "available_credit": "40.00",
    }
    out, _ = run("balance", "--customer", "acme-telecom")
    assert "Balance:          $40.00 USD" in out
    out, _ = run("check_balances")
    assert "All balances match the ledger." in out


def test_customer_limits_are_stored_and_listed():
    run("customers", "create", "--name", "Acme", "--currency", "USD", "--debit-limit", "100",
        "--minimum-payment", "20")  # fmt: skip
    run("customers", "create", "--name", "Nordlicht", "--currency", "EUR")
    listed = run_json("customers", "list")
    assert [(c["name"], c["currency"], c["debit_limit"], c["minimum_payment"]) for c in listed] == [
        ("Acme", "USD", "100.00", "20.00"),
        ("Nordlicht", "EUR", "0.00", "0.00"),
    ]
    assert listed[0]["available_credit"] == "100.00"
    out, _ = run("customers", "list")
    assert "$100.00 USD" in out and "€0.00 EUR" in out


def test_money_in_json_is_always_an_exact_string(customer):
    payment = run_json(
        "payments", "add", "--customer", str(customer.pk), "--total", "-0.0125",
        "--description", "Call to +44", "--allow-overdraft", "--fee", "0.01",
    )  # fmt: skip
    assert payment["total"] == "-0.0125"
    assert payment["balance_after"] == "-0.0125"
    assert payment["fee"] == "0.01"
    out, _ = run("balance", "--customer", str(customer.pk), "--json")
    balance = json.loads(out, parse_float=lambda text: pytest.fail(f"float in JSON: {text}"))
    assert balance["balance"] == "-0.0125"


def test_hash_starts_a_staff_comment_that_the_list_shows_to_staff(customer):
    added = run_json(
        "payments", "add", "--customer", str(customer.pk), "--total", "87.5", "--method", "paypal",
        "--description", "PayPal 87878787744 #payment from the demo",
    )  # fmt: skip
    assert (added["description"], added["staff_comment"]) == (
        "PayPal 87878787744",
        "payment from the demo",
    )
    stored = Payment.objects.get(reference=added["reference"])
    assert stored.description == "PayPal 87878787744"
    assert stored.method == "paypal"
    out, _ = run("payments", "list", "--customer", str(customer.pk))
    assert "PayPal 87878787744  # payment from the demo" in out


def test_a_purchase_past_available_credit_is_refused_on_stderr_unless_overdraft_allowed(customer):
    err = fails("payments", "add", "--customer", str(customer.pk), "--total", "-15",
                "--description", "Package")  # fmt: skip
    assert err == (
        "error: --total: This purchase of $15.00 USD needs more credit than the $0.00 USD "
        "available.\n"
    )
    assert not Payment.objects.exists()
    run("payments", "add", "--customer", str(customer.pk), "--total", "-15",
        "--description", "Package", "--allow-overdraft")  # fmt: skip
    customer.refresh_from_db()
    assert customer.balance == Decimal("-15")


@pytest.mark.parametrize(
    ("args", "code", "field"),
    [
        (["--total", "12,50"], "invalid_amount", "total"),
        (["--total", "0"], "invalid_amount", "total"),
        (["--total", "1.00001"], "invalid_amount", "total"),
        (["--total", "5", "--fee", "-1"], "invalid_amount", "fee"),
        (["--total", "5", "--description", "#only a comment"], "payment_error", "description"),
    ],
)
def test_bad_payment_input_is_one_json_error_on_stderr(customer, args, code, field):
    options = {"--description": "Top-up", **dict(zip(args[::2], args[1::2], strict=True))}
    flat = [item for pair in options.items() for item in pair]
    err = fails("payments", "add", "--customer", str(customer.pk), *flat, "--json")
    error = json.loads(err)["error"]
    assert (error["code"], error["field"]) == (code, field)
    assert error["message"]
    assert not Payment.objects.exists()


def test_bad_currency_and_unknown_customer_are_clear_errors():
    err = fails("customers", "create", "--name", "X", "--currency", "XYZ")
    assert err == "error: --currency: 'XYZ' is not an ISO 4217 currency code.\n"
    assert not Customer.objects.exists()
    err = fails("balance", "--customer", "999", "--json")
    assert json.loads(err) == {
        "error": {
            "code": "not_found",
            "message": "No customer with id or slug '999'.",
            "field": "customer",
        }
    }
    assert fails("payments", "list", "--customer", "nobody") == (
        "error: --customer: No customer with id or slug 'nobody'.\n"
    )


def test_list_is_newest_first_filtered_and_limited(customer):
    for n in range(1, 6):
        payment_create(customer=customer, total=str(n), description=f"Top-up {n}")
    payment_create(customer=customer, total="9", description="Wire", status="pending",
                   method="bank_transfer")  # fmt: skip
    rows = run_json("payments", "list", "--customer", str(customer.pk), "--limit", "3")
    assert [r["description"] for r in rows] == ["Wire", "Top-up 5", "Top-up 4"]
    assert set(rows[0]) >= {
        "reference", "total", "currency", "status", "method", "description", "staff_comment",
        "occurred_at", "balance_after",
    }  # fmt: skip
    assert rows[0]["balance_after"] is None and rows[1]["balance_after"] == "15.00"
    pending = run_json("payments", "list", "--customer", customer.slug, "--status", "pending")
    assert [(r["total"], r["status"], r["method"]) for r in pending] == [
        ("9.00", "pending", "bank_transfer")
    ]
    with pytest.raises(CommandError, match="whole number"):
        run("payments", "list", "--customer", str(customer.pk), "--limit", "0")


def _chargebacks(customer, count: int, start: int) -> None:
    """`count` card top-ups, each with a lost dispute: rows that name an original."""
    for n in range(start, start + count):
        paid = card_payment(customer, n=n)
        dispute_apply(
            original=paid, gateway="card", dispute_id=f"dp_{n}", stage="lost",
            account_total=Decimal("10.00"), reason="fraudulent",
        )  # fmt: skip


def _list_queries(customer) -> tuple[int, list[dict]]:
    with CaptureQueriesContext(connection) as queries:
        rows = run_json("payments", "list", "--customer", str(customer.pk))
    return len(queries), rows


def test_the_list_reads_the_originals_with_the_rows_not_one_query_each(customer):
    """The review's finding: `payments list --json` read each row's original payment with a
    query of its own. Three times the linked rows now cost the same number of queries."""
    _chargebacks(customer, 2, start=1)
    few, rows = _list_queries(customer)
    _chargebacks(customer, 4, start=3)
    many, rows = _list_queries(customer)
    assert many == few
    originals = {r["reference"]: r["original"] for r in rows if r["original"]}
    linked = Payment.objects.filter(customer=customer, original__isnull=False)
    assert originals == {p.reference: p.original.reference for p in linked}
    assert len(originals) == 6


def test_complete_by_loosely_typed_reference_then_cancel_is_refused(customer, finance_user):
    wire = payment_create(customer=customer, total="100", description="Wire",
                          status="pending", method="bank_transfer")  # fmt: skip
    typed = wire.reference.replace("-", "").lower()
    err = fails("payments", "complete", "--payment", typed, "--total", "99.50")
    assert "--as: A bank transfer is completed by a Finance user" in err
    done = run_json(
        "payments", "complete", "--payment", typed, "--total", "99.50", "--as", finance_user.email
    )
    assert (done["status"], done["total"], done["balance_after"]) == ("completed", "99.50", "99.50")
    customer.refresh_from_db()
    assert customer.balance == Decimal("99.50")
    err = fails("payments", "cancel", "--payment", wire.reference, "--reason", "Oops")
    assert "only a pending payment can be cancelled" in err


def test_cancel_a_pending_payment_by_id(customer):
    wire = payment_create(customer=customer, total="100", description="Wire", status="pending")
    out, _ = run("payments", "cancel", "--payment", str(wire.pk), "--reason", "Never arrived")
    assert f"Cancelled payment {wire.reference}" in out
    wire.refresh_from_db()
    assert (wire.status, wire.cancel_reason) == ("cancelled", "Never arrived")
    customer.refresh_from_db()
    assert customer.balance == 0


def test_the_same_idempotency_key_records_one_payment(customer):
    args = ("payments", "add", "--customer", str(customer.pk), "--total", "25",
            "--description", "Nightly import", "--idempotency-key", "import-1126")  # fmt: skip
    first, second = run_json(*args), run_json(*args)
    assert first["reference"] == second["reference"]
    assert Payment.objects.count() == 1


def test_portal_user_and_staff_user(customer):
    password = "a long enough phrase"
    user = run_json("users", "create", "--customer", str(customer.pk), "--view-only",
                    "--email", "Books@Acme.example", "--password", password)  # fmt: skip
    assert user["email"] == "books@acme.example"
    assert (user["customer_id"], user["can_view_payments"], user["can_make_payments"]) == (
        customer.pk,
        True,
        False,
    )
    assert User.objects.get(pk=user["id"]).check_password(password)
    staff = run_json("users", "create-staff", "--email", "lee@provider.example", "--role",
                     "finance", "--password", "another long phrase")  # fmt: skip
    assert (staff["staff_role"], staff["customer_id"]) == ("finance", None)
    assert "password" not in json.dumps([user, staff])


def test_weak_password_and_duplicate_email_are_refused(customer):
    err = fails("users", "create", "--customer", str(customer.pk), "--email", "a@acme.example",
                "--password", "short")  # fmt: skip
    assert err.startswith("error: --password: This password is too short.")
    run("users", "create-staff", "--email", "a@acme.example", "--role", "support",
        "--password", "a long enough phrase")  # fmt: skip
    err = fails("users", "create", "--customer", str(customer.pk), "--email", "A@acme.example",
                "--password", "a long enough phrase", "--json")  # fmt: skip
    assert json.loads(err)["error"]["field"] == "email"
    assert User.objects.count() == 1


def test_acting_as_finance_is_audited_and_support_cannot_move_money(
    customer, finance_user, support_user
):
    shouted = finance_user.email.upper()
    added = run_json("payments", "add", "--customer", str(customer.pk), "--total", "30",
                     "--description", "Wire received", "--as", shouted)  # fmt: skip
    entry = AuditEntry.objects.get(action="payment.create")
    assert (entry.actor, entry.object_id) == (finance_user, str(added["id"]))
    assert Payment.objects.get(pk=added["id"]).completed_by == finance_user

    err = fails("payments", "add", "--customer", str(customer.pk), "--total", "30",
                "--description", "Wire", "--as", support_user.email)  # fmt: skip
    assert err == "error: Your role cannot move money.\n"
    err = fails("customers", "create", "--name", "X", "--currency", "USD",
                "--as", finance_user.email)  # fmt: skip
    assert err == "error: Only an Administrator can change customers.\n"
    err = fails("payments", "cancel", "--payment", added["reference"], "--reason", "x",
                "--as", "nobody@example.com")  # fmt: skip
    assert err == "error: --as: No active staff user with the email 'nobody@example.com'.\n"
    assert Payment.objects.count() == 1


def test_without_password_option_the_password_is_read_from_stdin(customer, monkeypatch):
    monkeypatch.setattr("sys.stdin", io.StringIO("a long enough phrase\n"))
    user = run_json("users", "create", "--customer", str(customer.pk), "--email", "x@acme.example")
    assert User.objects.get(pk=user["id"]).check_password("a long enough phrase")


def test_the_list_words_a_chargeback_as_the_customer_api_does(portal_user):
    """The review's finding: `payments list --json` gave a chargeback's stored code ("…:
    fraudulent") where the API, the portal and the back office give the gateway's words."""
    paid = card_payment(portal_user.customer)
    chargeback = dispute_apply(
        original=paid, gateway="card", dispute_id="dp_1", stage="lost",
        account_total=Decimal("10.00"), reason="fraudulent",
    ).posted  # fmt: skip
    assert chargeback is not None and chargeback.description.endswith(": fraudulent")
    api = ApiClient(key_for(portal_user, "read")).get("/api/v1/payments")
    assert api.status_code == 200, api.content
    by_api = {row["reference"]: row["description"] for row in api.json()["data"]}
    said = by_api[chargeback.reference]
    assert said != chargeback.description and "did not authorise" in said

    cid = str(portal_user.customer.pk)
    listed = {row["reference"]: row["description"] for row in run_json(
        "payments", "list", "--customer", cid)}  # fmt: skip
    assert listed == by_api
    rows = run_json("payments", "list", "--customer", cid)
    stored = {row["reference"]: row["description_stored"] for row in rows}
    assert stored[chargeback.reference] == chargeback.description  # the row, for an operator
    text, _ = run("payments", "list", "--customer", cid)
    assert said in text and ": fraudulent" not in text
