"""A refund after a chargeback: the gateway already gave that money back to the payer, so what
is left to refund is the payment less its refunds and its chargebacks (plus what a reversal gave
back). Finance is told why, naming the chargeback, wherever they refund from: the ledger, the
back office, the staff API and the CLI."""

from __future__ import annotations

import io
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from paydesk.checkout.refunds import payment_refund
from paydesk.errors import RefundRefused
from paydesk.ledger.disputes import dispute_apply
from paydesk.ledger.models import Payment, PaymentRelation
from paydesk.ledger.refunds import refund_create, refund_left
from tests.api.conftest import ApiClient, key_for
from tests.backoffice.conftest import PAYMENTS, signed_in
from tests.refunds.conftest import card_payment

pytestmark = pytest.mark.django_db


def charged_back(payment: Payment, total: str, dispute_id: str = "dp_1") -> Payment:
    """The gateway withdrew `total` of `payment` for a dispute: its chargeback row."""
    change = dispute_apply(
        original=payment,
        gateway="card",
        dispute_id=dispute_id,
        stage="funds_withdrawn",
        account_total=Decimal(total),
    )
    assert change.posted is not None
    return change.posted


def test_paid_50_charged_back_30_refunds_at_most_the_20_left(card_gateway, finance):
    payment = card_payment()
    chargeback = charged_back(payment, "30.00")
    assert refund_left(payment=payment) == Decimal("20.00")

    with pytest.raises(RefundRefused) as refused:
        payment_refund(payment=payment, reason="Asked", actor=finance, total="25.00")

    assert str(refused.value) == (
        f"At most $20.00 USD of {payment.reference} can still be refunded: the gateway already "
        f"took $30.00 USD of it back by chargeback {chargeback.reference}, and refunding that "
        "too would pay it back twice."
    )
    refund = payment_refund(payment=payment, reason="Asked", actor=finance, total="20.00")
    assert refund.total == Decimal("-20.00")
    payment.customer.refresh_from_db()
    assert payment.customer.balance == Decimal("0.00")  # 50 paid, 30 taken back, 20 refunded


def test_all_of_it_charged_back_nothing_is_left_to_refund_and_finance_is_told_why(
    card_gateway, finance
):
    """'Refund all that is left' said "A payment cannot be zero."."""
    payment = card_payment()
    chargeback = charged_back(payment, "50.00")

    with pytest.raises(RefundRefused) as refused:
        payment_refund(payment=payment, reason="Asked", actor=finance, allow_overdraft=True)

    assert str(refused.value).startswith(
        f"Nothing of payment {payment.reference} can be refunded: the gateway already took "
        f"$50.00 USD of it back by chargeback {chargeback.reference}"
    )
    assert refused.value.field == "total"
    assert not Payment.objects.filter(original=payment, relation=PaymentRelation.REFUND).exists()


def test_a_chargeback_reversed_can_be_refunded_again(card_gateway, finance):
    payment = card_payment()
    charged_back(payment, "50.00")
    dispute_apply(original=payment, gateway="card", dispute_id="dp_1", stage="won")
    assert refund_left(payment=payment) == Decimal("50.00")

    refund = payment_refund(payment=payment, reason="Asked", actor=finance)

    assert refund.total == Decimal("-50.00")


def test_only_the_chargebacks_still_standing_are_named(card_gateway, finance):
    payment = card_payment()
    charged_back(payment, "20.00", "dp_won")
    dispute_apply(original=payment, gateway="card", dispute_id="dp_won", stage="won")
    standing = charged_back(payment, "10.00", "dp_lost")

    with pytest.raises(RefundRefused) as refused:
        refund_create(original=payment, total="45.00", reason="Asked", actor=finance)

    assert f"took $10.00 USD of it back by chargeback {standing.reference}," in str(refused.value)


def test_the_back_office_names_the_chargeback(card_gateway, finance_user):
    payment = card_payment()
    chargeback = charged_back(payment, "30.00")
    client = signed_in(finance_user)
    url = f"{PAYMENTS}{payment.pk}/refund/"
    token = client.get(url).context["form"].initial["form_token"]

    response = client.post(url, {"form_token": token, "total": "25.00", "reason": "Asked"})

    error = response.context["form"].errors["total"][0]
    assert error.startswith(f"At most $20.00 USD of {payment.reference} can still be refunded")
    assert f"by chargeback {chargeback.reference}" in error
    charged_back(payment, "20.00", "dp_2")
    gone = client.get(url)
    assert gone.status_code == 302
    said = [str(m) for m in gone.wsgi_request._messages]
    assert f"Nothing of payment {payment.reference} can be refunded" in said[0]
    assert "by chargebacks" in said[0]


def test_the_staff_api_and_the_cli_name_the_chargeback(card_gateway, finance_user):
    payment = card_payment()
    chargeback = charged_back(payment, "50.00")
    api = ApiClient(key_for(finance_user))

    response = api.post(f"/api/v1/staff/payments/{payment.reference}/refund", {"reason": "x"})

    assert response.status_code == 422, response.content
    error = response.json()["error"]
    assert (error["code"], error["field"]) == ("refund_refused", "total")
    assert f"by chargeback {chargeback.reference}" in error["message"]
    err = io.StringIO()
    with pytest.raises(CommandError):
        call_command(
            "payments", "refund", "--payment", payment.reference, "--reason", "x",
            "--as", finance_user.email, stdout=io.StringIO(), stderr=err,
        )  # fmt: skip
    assert f"by chargeback {chargeback.reference}" in err.getvalue()


def test_a_refund_the_gateway_made_is_recorded_even_after_a_chargeback(card_gateway, finance):
    """Refunded 50.00 in the gateway's dashboard; its notification arrives after the dispute's
    funds withdrawn. The money left twice, so both are recorded (the refund was refused: 'not
    recorded'); Finance can refund nothing more."""
    from paydesk.checkout.events import gateway_event_apply
    from paydesk.gateways.base import Outcome, RefundEvent
    from paydesk.money import Money

    payment = card_payment()
    charged_back(payment, "50.00")

    gateway_event_apply(
        event=RefundEvent(
            gateway="card",
            event_id="evt_dashboard_refund",
            refund_id="re_dashboard",
            outcome=Outcome.COMPLETED,
            amount=Money(Decimal("50.00"), "USD"),
            transaction_id=payment.gateway_transaction,
        )
    )

    refund = Payment.objects.get(original=payment, relation=PaymentRelation.REFUND)
    assert (refund.status, refund.total) == ("completed", Decimal("-50.00"))
    payment.customer.refresh_from_db()
    assert payment.customer.balance == Decimal("-50.00")
    with pytest.raises(RefundRefused):
        payment_refund(payment=payment, reason="Asked", actor=finance, total="1.00")


def test_a_gateway_refund_past_the_other_refunds_is_refused_without_naming_chargebacks(finance):
    """Bounded by the refunds only, so its refusal says that, not the chargeback."""
    payment = card_payment()
    refund_create(
        original=payment, total="40.00", reason="Asked", actor=finance, status="completed"
    )
    charged_back(payment, "10.00")

    with pytest.raises(RefundRefused) as refused:
        refund_create(
            original=payment, total="20.00", reason="made at the gateway", status="completed",
            allow_overdraft=True, made_at_gateway=True,
        )  # fmt: skip

    assert str(refused.value) == (
        f"At most $10.00 USD of {payment.reference} can still be refunded."
    )
