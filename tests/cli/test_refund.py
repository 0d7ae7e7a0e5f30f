"""`paydesk payments refund`: the same refund operation as the back office and the API, from a
staff member's shell, with clear errors and exit codes."""

from __future__ import annotations

import io
import json
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from paydesk.audit.models import AuditEntry
from paydesk.gateways.base import Outcome
from paydesk.ledger.models import Payment, PaymentStatus
from paydesk.ledger.services import payment_create
from tests.refunds.conftest import card_payment

pytestmark = pytest.mark.django_db


def run(*args: str) -> str:
    out, err = io.StringIO(), io.StringIO()
    call_command(*args, stdout=out, stderr=err)
    assert err.getvalue() == ""
    return out.getvalue()


def fails(*args: str) -> str:
    err = io.StringIO()
    with pytest.raises(CommandError):
        call_command(*args, stdout=io.StringIO(), stderr=err)
    return err.getvalue()


def test_a_partial_refund_then_the_rest(card_gateway, customer, finance_user):
    payment = card_payment(customer)
    out = run(
        "payments", "refund", "--payment", payment.reference.lower(), "--total", "20.00",
        "--reason", "Unused minutes", "--as", finance_user.email,
    )  # fmt: skip
    refund = Payment.objects.get(original=payment)
    assert out == (
        f"Refunded: {refund.reference}, $20.00 USD of {payment.reference}. Balance $30.00 USD.\n"
    )
    data = json.loads(
        run(
            "payments",
            "refund",
            "--payment",
            payment.reference,
            "--reason",
            "Rest",
            "--as",
            finance_user.email,
            "--json",
        )  # fmt: skip
    )
    assert data["total"] == "-30.00" and data["relation"] == "refund"
    assert data["original"] == payment.reference and data["status"] == "completed"
    customer.refresh_from_db()
    assert customer.balance == Decimal("0.00")
    assert AuditEntry.objects.filter(action="payment.refund", actor=finance_user).count() == 2


def test_the_same_idempotency_key_refunds_once(card_gateway, customer, finance_user):
    payment = card_payment(customer)
    args = (
        "payments", "refund", "--payment", payment.reference, "--total", "5",
        "--reason", "Goodwill", "--as", finance_user.email, "--idempotency-key", "k1",
    )  # fmt: skip
    run(*args)
    run(*args)
    assert Payment.objects.filter(original=payment).count() == 1


@pytest.mark.parametrize(
    ("extra", "code", "field"),
    [
        (["--total", "60"], "refund_refused", "total"),
        (["--total", "abc"], "invalid_amount", "total"),
        (["--outside", "--note", "x"], "payment_error", "outside"),
    ],
)
def test_refusals_are_one_json_error(card_gateway, customer, finance_user, extra, code, field):
    payment = card_payment(customer)
    err = fails(
        "payments", "refund", "--payment", payment.reference, "--reason", "x",
        "--as", finance_user.email, *extra, "--json",
    )  # fmt: skip
    error = json.loads(err)["error"]
    assert (error["code"], error["field"]) == (code, field)
    assert not Payment.objects.filter(original=payment).exists()


def test_without_as_or_as_support_nothing_moves(card_gateway, customer, support_user):
    payment = card_payment(customer)
    err = fails("payments", "refund", "--payment", payment.reference, "--reason", "x")
    assert err == "error: --as: A refund is made by a Finance user: name one with --as.\n"
    err = fails(
        "payments", "refund", "--payment", payment.reference, "--reason", "x",
        "--as", support_user.email,
    )  # fmt: skip
    assert "Only Finance can refund" in err
    assert not Payment.objects.filter(original=payment).exists()


def test_past_the_credit_needs_allow_overdraft(card_gateway, customer, finance_user):
    payment = card_payment(customer)
    payment_create(customer=customer, total="-45", description="Calls", method="manual")
    args = ("payments", "refund", "--payment", payment.reference, "--reason", "x",
            "--as", finance_user.email)  # fmt: skip
    assert "Tick Allow overdraft" in fails(*args)
    assert "Balance -$45.00 USD" in run(*args, "--allow-overdraft")


def test_a_declined_refund_fails_with_the_gateway_s_reason(card_gateway, customer, finance_user):
    card_gateway.answer = Outcome.CANCELLED
    payment = card_payment(customer)
    err = fails(
        "payments", "refund", "--payment", payment.reference, "--reason", "x",
        "--as", finance_user.email,
    )  # fmt: skip
    assert "was declined" in err and "insufficient funds" in err
    assert Payment.objects.get(original=payment).status == PaymentStatus.CANCELLED


def test_recorded_outside_for_a_bank_transfer(customer, finance_user):
    payment = payment_create(
        customer=customer, total="80", description="Wire", method="bank_transfer"
    )
    out = run(
        "payments", "refund", "--payment", payment.reference, "--reason", "Closed",
        "--outside", "--note", "OUT-77", "--as", finance_user.email,
    )  # fmt: skip
    assert out.startswith("Refunded: ") and "$80.00 USD" in out
    assert Payment.objects.get(original=payment).staff_comment == "OUT-77"
