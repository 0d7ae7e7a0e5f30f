"""The ledger inserts a new payment with one cached statement instead of `save()` (bench P1,
ledger/fastpath.py).
It must store exactly what `save()` would, and still send the model's save signals."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db.models.signals import post_save, pre_save
from django.forms.models import model_to_dict

from paydesk.ledger.models import Payment
from paydesk.ledger.services import PaidDetails, payment_create

pytestmark = pytest.mark.django_db


def test_every_field_of_the_returned_payment_is_what_the_database_holds(customer, finance_user):
    payment = payment_create(
        customer=customer,
        total="12.3456",
        description="Top-up ünïcode #private note",
        method="bank_transfer",
        actor=finance_user,
        fee="0.25",
        gateway="bank_transfer",
        gateway_reference="GW-1",
        idempotency_key="key-1",
        paid=PaidDetails(
            amount=Decimal("11.50"), currency="EUR", fx_rate="1.0735", surcharge=Decimal("0.10")
        ),
    )
    stored = Payment.objects.get(pk=payment.pk)
    assert model_to_dict(payment) == model_to_dict(stored)
    assert (stored.created_at, stored.completed_at) == (payment.created_at, payment.completed_at)
    assert stored.total == Decimal("12.3456") and stored.balance_after == Decimal("12.3456")
    assert (stored.description, stored.staff_comment) == ("Top-up ünïcode", "private note")


def test_save_signals_are_still_sent_in_order(customer):
    seen: list[tuple[str, object]] = []

    def before(sender, instance, **kwargs):
        seen.append(("pre_save", instance.pk))

    def after(sender, instance, created, **kwargs):
        seen.append(("post_save", created))

    pre_save.connect(before, sender=Payment)
    post_save.connect(after, sender=Payment)
    try:
        payment = payment_create(customer=customer, total="5", description="Top-up")
    finally:
        pre_save.disconnect(before, sender=Payment)
        post_save.disconnect(after, sender=Payment)
    assert seen == [("pre_save", None), ("post_save", True)]
    assert payment.pk is not None and not payment._state.adding


def test_the_fast_path_sends_what_model_save_sends(customer):
    """The fast path mirrors Django's `Model.save(force_insert=True)`: the same signals with the
    same arguments, and the same stored row. If a Django upgrade changes what `save` sends or
    stores, this fails before the ledger silently differs."""
    from django.utils import timezone

    from paydesk.ledger.fastpath import payment_row_insert

    sent: dict[str, list[tuple[str, dict]]] = {"save": [], "fast": []}
    current = ["save"]

    def record(signal_name):
        def receiver(sender, **kwargs):
            kwargs.pop("signal", None)
            instance = kwargs.pop("instance")
            sent[current[0]].append((signal_name, {**kwargs, "pk_set": instance.pk is not None}))

        return receiver

    on_pre, on_post = record("pre_save"), record("post_save")
    pre_save.connect(on_pre, sender=Payment)
    post_save.connect(on_post, sender=Payment)
    try:
        now = timezone.now()

        def pending(reference: str) -> Payment:
            return Payment(
                reference=reference,
                customer=customer,
                total=Decimal("5"),
                status="pending",
                method="manual",
                description="Mirror",
                created_at=now,
                occurred_at=now,
            )

        by_save = pending("MIRROR-SAVE")
        by_save.save(force_insert=True)
        current[0] = "fast"
        fast = pending("MIRROR-FAST")
        payment_row_insert(fast)
    finally:
        pre_save.disconnect(on_pre, sender=Payment)
        post_save.disconnect(on_post, sender=Payment)

    assert sent["fast"] == sent["save"]
    assert [name for name, _ in sent["save"]] == ["pre_save", "post_save"]
    stored = {
        p.reference: model_to_dict(p, exclude=["id", "reference"])
        for p in Payment.objects.filter(reference__in=["MIRROR-SAVE", "MIRROR-FAST"])
    }
    assert stored["MIRROR-FAST"] == stored["MIRROR-SAVE"]
    assert (fast._state.adding, fast._state.db) == (by_save._state.adding, by_save._state.db)


def test_payment_new_makes_what_the_keyword_constructor_makes(customer, finance_user):
    from django.utils import timezone

    from paydesk.ledger.fastpath import payment_new

    original = payment_create(customer=customer, total="9", description="Card")
    now = timezone.now()
    values = {
        "reference": "REF-1",
        "customer": customer,
        "total": Decimal("-4.5"),
        "status": "completed",
        "method": "card",
        "description": "Refund",
        "staff_comment": "note",
        "fee": None,
        "gateway_transaction": "tx",
        "original": original,
        "relation": "refund",
        "created_at": now,
        "occurred_at": now,
        "created_by": finance_user,
        "completed_at": now,
        "completed_by": None,
        "cancelled_by": None,
        "balance_after": Decimal("4.5"),
    }
    made, expected = payment_new(**values), Payment(**values)
    every = [f.attname for f in Payment._meta.concrete_fields]
    assert [getattr(made, a) for a in every] == [getattr(expected, a) for a in every]
    assert made._state.fields_cache == expected._state.fields_cache
    assert (made._state.adding, made._state.db) == (expected._state.adding, expected._state.db)
    assert made.customer is customer and made.original is original and made.completed_by is None
    with pytest.raises(ValueError):
        payment_new(customer=finance_user)
    with pytest.raises(TypeError):
        payment_new(customer=customer, colour="red")
