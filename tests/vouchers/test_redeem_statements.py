"""What a redemption sends PostgreSQL (bench P5): the claim and the read of the voucher it
claimed are one statement, and the payment's statement also links the voucher to its payment
and writes both audit entries. Every row as the statements one by one wrote them."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import transaction

from paydesk.audit.models import AuditEntry
from paydesk.ledger.models import Payment
from paydesk.vouchers.models import Voucher, VoucherStatus
from paydesk.vouchers.services import voucher_redeem
from tests.pgtrace import frontend_messages

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]


def _executed(action) -> list[str]:  # noqa: ANN001 — a callable
    """The statements the client had PostgreSQL run while `action` ran: Query (a statement sent
    whole) or Execute (a prepared one) — each its own wait — in order."""
    return [m[1] for m in frontend_messages(action) if m[1] in ("Query", "Execute")]


def test_a_free_credit_redemption_is_five_statements(issue, portal_user):
    [code] = issue(addition="5")
    customer = portal_user.customer
    done = []

    def redeem():
        with transaction.atomic():
            done.append(
                voucher_redeem(
                    code=code,
                    customer=customer,
                    currency="USD",
                    user=portal_user,
                    ip_address="203.0.113.9",
                )
            )

    executed = _executed(redeem)
    # The test's own transaction makes atomic() a SAVEPOINT and a RELEASE (Queries); between
    # them, each prepared: the portal defaults, the claim with its read, the balance UPDATE, the
    # payment (its event rows, its audit entry, the voucher's link to it and the voucher's audit
    # entry), the contacts (whom a receipt goes to). Before: nine — the claim, its read, the
    # two audit entries and the link were statements of their own.
    assert executed == ["Query", *["Execute"] * 5, "Query"]
    [redemption] = done
    voucher = Voucher.objects.get()
    payment = Payment.objects.get()
    assert voucher.status == VoucherStatus.USED and voucher.used_by == customer
    assert voucher.redemption_payment == payment == redemption.payment
    assert payment.total == Decimal("5") and payment.status == "completed"
    entries = {e.action: e for e in AuditEntry.objects.filter(actor=portal_user)}
    assert entries["payment.create"].object_id == str(payment.pk)
    redeemed = entries["voucher.redeem"]
    assert (redeemed.object_type, redeemed.object_id) == ("voucher", str(voucher.pk))
    assert (redeemed.customer_id, redeemed.ip_address) == (customer.pk, "203.0.113.9")
    assert redeemed.after == {
        "hint": voucher.hint,
        "batch": voucher.batch_id,
        "payment": payment.reference,
        "armed": False,
    }
    assert redeemed.at >= entries["payment.create"].at


def test_with_a_listener_to_audit_entries_both_are_written_apart_and_heard(issue, portal_user):
    from django.db.models.signals import post_save

    [code] = issue(addition="5")
    heard = []

    def listen(sender, instance, created, **kwargs):
        heard.append(instance.action)

    post_save.connect(listen, sender=AuditEntry)
    try:
        voucher_redeem(
            code=code,
            customer=portal_user.customer,
            currency="USD",
            user=portal_user,
            ip_address=None,
        )
    finally:
        post_save.disconnect(listen, sender=AuditEntry)
    assert heard == ["payment.create", "voucher.redeem"]
    assert AuditEntry.objects.filter(action="voucher.redeem").count() == 1
    assert Voucher.objects.get().redemption_payment == Payment.objects.get()
