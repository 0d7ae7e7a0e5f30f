"""The payment log is append-only (checkout/guards.py): what a gateway said and what Paydesk did
with it are written once; the database refuses any later change and any delete, on SQLite and
PostgreSQL alike."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, transaction

from paydesk.checkout.events import UNDECIDED, gateway_notification_unverified
from paydesk.checkout.models import EventResult, PaymentLogEntry

pytestmark = pytest.mark.django_db


def _entry(result: str = EventResult.IGNORED) -> PaymentLogEntry:
    return PaymentLogEntry.objects.create(
        gateway="paypal",
        event_id="WH-APPEND-1",
        signature_valid=True,
        outcome="completed",
        result=result,
        detail="",
    )


@pytest.mark.parametrize(
    "change",
    [{"result": EventResult.APPLIED}, {"detail": "Rewritten"}, {"event_id": "WH-OTHER"}],
)
def test_a_decided_entry_cannot_be_changed(change):
    entry = _entry()
    with pytest.raises(IntegrityError), transaction.atomic():
        PaymentLogEntry.objects.filter(pk=entry.pk).update(**change)
    entry.refresh_from_db()
    assert (entry.result, entry.detail, entry.event_id) == ("ignored", "", "WH-APPEND-1")


def test_no_entry_can_be_deleted():
    entry = gateway_notification_unverified(gateway="card", reason="Bad.", source_ip=None).entry
    assert entry is not None
    with pytest.raises(IntegrityError), transaction.atomic():
        PaymentLogEntry.objects.filter(pk=entry.pk).delete()
    assert PaymentLogEntry.objects.filter(pk=entry.pk).exists()


def test_an_undecided_entry_gets_its_result_once():
    entry = _entry(UNDECIDED)
    assert (
        PaymentLogEntry.objects.filter(pk=entry.pk, result=UNDECIDED).update(
            result=EventResult.APPLIED, detail="Completed."
        )
        == 1
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        PaymentLogEntry.objects.filter(pk=entry.pk).update(result=EventResult.REFUSED)
    entry.refresh_from_db()
    assert (entry.result, entry.detail) == ("applied", "Completed.")
