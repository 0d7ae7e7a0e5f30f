"""Starting a checkout and applying gateway events: one payment per form, one credit per event,
and the credit of a locked quote whatever the rate does afterwards."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from paydesk.checkout.events import gateway_event_apply
from paydesk.checkout.models import EventResult, PaymentLogEntry, Quote
from paydesk.checkout.services import checkout_start
from paydesk.errors import AmountMismatch, GatewayError, PaydeskError, PermissionDenied
from paydesk.gateways.base import GatewayEvent, Outcome
from paydesk.ledger.models import Payment, PaymentStatus
from paydesk.ledger.selectors import balance_drifts
from paydesk.money import Money
from tests.checkout.conftest import configure
from tests.factories import CustomerFactory, PortalUserFactory

pytestmark = pytest.mark.django_db

TOKEN = "form-token-0123456789abcdef"


@pytest.fixture
def eur_payer(rates):
    rates({"USD": "1.0850"})
    customer = CustomerFactory(currency="USD", topup_currencies=["USD", "EUR"])
    return PortalUserFactory(customer=customer)


def start(user, *, amount="100", currency="EUR", key=TOKEN, method="bank_transfer"):
    return checkout_start(
        customer=user.customer,
        user=user,
        method=method,
        amount=amount,
        currency=currency,
        idempotency_key=key,
    )


def completed(event_id: str, payment: Payment, amount: str, currency: str, **extra) -> GatewayEvent:
    return GatewayEvent(
        gateway="bank_transfer",
        event_id=event_id,
        outcome=Outcome.COMPLETED,
        payment_reference=payment.reference,
        amount=Money(Decimal(amount), currency),
        **extra,
    )


def test_bank_transfer_checkout_makes_a_pending_payment_for_the_quoted_credit(eur_payer):
    configure(surcharge_percent=Decimal("1"))
    checkout = start(eur_payer)

    payment, quote = checkout.payment, checkout.quote
    assert checkout.result.outcome is Outcome.PENDING
    assert checkout.result.redirect_url == ""
    assert checkout.result.gateway_reference == payment.reference
    assert (payment.status, payment.method, payment.gateway) == (
        "pending",
        "bank_transfer",
        "bank_transfer",
    )
    assert payment.total == Decimal("108.50")  # 100 EUR at 1.0850; the surcharge is not credited
    assert (payment.paid_amount, payment.paid_currency) == (Decimal("101.00"), "EUR")
    assert (payment.surcharge, payment.fx_rate) == (Decimal("1.00"), "1.085")
    assert payment.description == "Bank Transfer €101.00 EUR"
    assert payment.created_by == eur_payer
    assert quote.payment == payment
    assert quote.expires_at - quote.locked_at == timedelta(minutes=30)
    eur_payer.customer.refresh_from_db()
    assert eur_payer.customer.balance == 0  # pending never counts


def test_the_same_form_sent_again_returns_the_same_payment(eur_payer):
    first = start(eur_payer)
    again = start(eur_payer, amount="999")  # a resubmitted (even edited) form: same token

    assert again.replayed and not first.replayed
    assert again.payment == first.payment
    assert Payment.objects.count() == 1 and Quote.objects.count() == 1

    other = start(eur_payer, key="another-form-token-123456")
    assert other.payment != first.payment


def test_a_quote_locked_before_a_rate_change_still_credits_what_was_quoted(eur_payer, rates):
    checkout = start(eur_payer)  # 100 EUR → 108.50 USD at 1.0850
    rates({"USD": "1.2000"})  # the euro jumps before the money arrives

    applied = gateway_event_apply(event=completed("bank-1", checkout.payment, "100.00", "EUR"))

    payment = applied.payment
    assert payment.status == PaymentStatus.COMPLETED
    assert payment.total == Decimal("108.50")  # not 120.00
    eur_payer.customer.refresh_from_db()
    assert eur_payer.customer.balance == Decimal("108.50")
    assert applied.entry.result == EventResult.APPLIED
    assert balance_drifts() == []


def test_a_replayed_event_credits_once(eur_payer):
    checkout = start(eur_payer)
    event = completed("bank-2", checkout.payment, "100", "EUR")

    first = gateway_event_apply(event=event)
    replays = [gateway_event_apply(event=event) for _ in range(9)]

    assert not first.duplicate and all(r.duplicate for r in replays)
    assert PaymentLogEntry.objects.count() == 1
    eur_payer.customer.refresh_from_db()
    assert eur_payer.customer.balance == Decimal("108.50")


def test_another_event_for_a_completed_payment_is_logged_and_ignored(eur_payer):
    checkout = start(eur_payer)
    gateway_event_apply(event=completed("bank-3", checkout.payment, "100", "EUR"))
    later = gateway_event_apply(event=completed("bank-4", checkout.payment, "100", "EUR"))

    assert later.entry.result == EventResult.IGNORED
    assert later.entry.detail == "Payment already completed."
    eur_payer.customer.refresh_from_db()
    assert eur_payer.customer.balance == Decimal("108.50")


@pytest.mark.parametrize(
    ("amount", "currency"), [("99.99", "EUR"), ("100.01", "EUR"), ("100", "USD"), ("108.50", "USD")]
)
def test_a_mismatched_amount_or_currency_is_refused_logged_and_changes_nothing(
    eur_payer, amount, currency
):
    checkout = start(eur_payer)

    with pytest.raises(AmountMismatch) as refused:
        gateway_event_apply(event=completed("bank-5", checkout.payment, amount, currency))

    assert "expected €100.00 EUR" in refused.value.message
    entry = PaymentLogEntry.objects.get(event_id="bank-5")
    assert entry.result == EventResult.REFUSED and entry.payment == checkout.payment
    checkout.payment.refresh_from_db()
    assert checkout.payment.status == PaymentStatus.PENDING
    eur_payer.customer.refresh_from_db()
    assert eur_payer.customer.balance == 0


def test_a_completion_without_an_amount_is_refused(eur_payer):
    checkout = start(eur_payer)
    event = GatewayEvent(
        gateway="bank_transfer",
        event_id="bank-6",
        outcome="completed",
        payment_reference=checkout.payment.reference,
    )
    with pytest.raises(AmountMismatch):
        gateway_event_apply(event=event)
    checkout.payment.refresh_from_db()
    assert checkout.payment.status == PaymentStatus.PENDING


def test_a_cancelled_outcome_cancels_with_the_reason(eur_payer):
    checkout = start(eur_payer)
    applied = gateway_event_apply(
        event=GatewayEvent(
            gateway="bank_transfer",
            event_id="bank-7",
            outcome=Outcome.CANCELLED,
            payment_reference=checkout.payment.reference,
            reason="Transfer returned by the bank",
        )
    )
    assert applied.payment.status == PaymentStatus.CANCELLED
    assert applied.payment.cancel_reason == "Transfer returned by the bank"


def test_a_pending_outcome_changes_nothing(eur_payer):
    checkout = start(eur_payer)
    applied = gateway_event_apply(
        event=GatewayEvent(
            gateway="bank_transfer",
            event_id="bank-8",
            outcome=Outcome.PENDING,
            payment_reference=checkout.payment.reference,
        )
    )
    assert applied.entry.result == EventResult.IGNORED
    assert applied.payment.status == PaymentStatus.PENDING


def test_a_forged_event_is_logged_refused_and_does_not_take_the_event_id(eur_payer):
    checkout = start(eur_payer)
    forged = completed("bank-9", checkout.payment, "100", "EUR", signature_valid=False)
    with pytest.raises(GatewayError, match="signature"):
        gateway_event_apply(event=forged)
    checkout.payment.refresh_from_db()
    assert checkout.payment.status == PaymentStatus.PENDING

    real = gateway_event_apply(event=completed("bank-9", checkout.payment, "100", "EUR"))
    assert real.entry.result == EventResult.APPLIED
    assert PaymentLogEntry.objects.filter(event_id="bank-9").count() == 2


def test_an_event_for_an_unknown_payment_or_another_gateway_is_refused(eur_payer):
    checkout = start(eur_payer)
    with pytest.raises(GatewayError, match="no known payment"):
        gateway_event_apply(
            event=GatewayEvent(
                gateway="paypal",
                event_id="pp-1",
                outcome="completed",
                payment_reference=checkout.payment.reference,
                amount=Money("100", "EUR"),
            )
        )
    assert PaymentLogEntry.objects.get(event_id="pp-1").result == EventResult.REFUSED
    checkout.payment.refresh_from_db()
    assert checkout.payment.status == PaymentStatus.PENDING


def test_the_gateway_fee_is_recorded_and_deducted_only_when_configured(eur_payer):
    first = start(eur_payer)
    gateway_event_apply(
        event=completed("bank-10", first.payment, "100", "EUR", fee=Decimal("2.00"))
    )
    first.payment.refresh_from_db()
    assert first.payment.total == Decimal("108.50")
    assert first.payment.fee == Decimal("2.17")  # 2 EUR at the quoted 1.0850

    configure(deduct_gateway_fee=True)
    second = start(eur_payer, key="second-form-token-12345")
    gateway_event_apply(
        event=completed("bank-11", second.payment, "100", "EUR", fee=Decimal("2.00"))
    )
    second.payment.refresh_from_db()
    assert second.payment.total == Decimal("106.33")  # 108.50 − 2.17


def test_the_payment_log_keeps_no_secrets(eur_payer):
    checkout = start(eur_payer)
    gateway_event_apply(
        event=completed(
            "bank-12",
            checkout.payment,
            "100",
            "EUR",
            summary={"status": "paid", "card_number": "4242424242424242", "cvc": "123"},
        )
    )
    entry = PaymentLogEntry.objects.get(event_id="bank-12")
    assert entry.summary == {"status": "paid", "card_number": "[redacted]", "cvc": "[redacted]"}


def test_only_a_user_of_that_customer_with_make_payments_can_pay(eur_payer):
    viewer = PortalUserFactory(customer=eur_payer.customer, can_make_payments=False)
    stranger = PortalUserFactory()
    for user in (viewer, stranger):
        with pytest.raises(PermissionDenied):
            checkout_start(
                customer=eur_payer.customer,
                user=user,
                method="bank_transfer",
                amount="10",
                currency="USD",
                idempotency_key=TOKEN,
            )
    assert Payment.objects.count() == 0


@pytest.mark.parametrize("key", ["", "short", "x" * 65, "bad token with spaces!!", "ключ" * 5])
def test_a_bad_form_token_is_refused(eur_payer, key):
    with pytest.raises(PaydeskError, match="expired"):
        start(eur_payer, key=key)


def test_a_voucher_is_not_checked_out(eur_payer):
    with pytest.raises(PaydeskError) as refused:
        start(eur_payer, method="voucher", currency="USD")
    assert refused.value.field == "method"


def test_a_quote_honoured_past_its_expiry_when_the_gateway_confirms_it(eur_payer, rates):
    checkout = start(eur_payer)
    Quote.objects.filter(pk=checkout.quote.pk).update(
        expires_at=timezone.now() - timedelta(minutes=1)
    )
    rates({"USD": "1.0000"})
    applied = gateway_event_apply(event=completed("bank-13", checkout.payment, "100", "EUR"))
    assert applied.payment.total == Decimal("108.50")
