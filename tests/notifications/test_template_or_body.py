"""An outbox row has a template (rendered by the worker) or a rendered body: the database
refuses one with neither (CHECK outbox_template_or_body), and migration 0006 mends such rows
written before it, so that it can add the constraint."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, connection, transaction
from django.db.migrations.executor import MigrationExecutor

from paydesk.notifications.models import EmailKind, OutboundEmail

BEFORE = [("notifications", "0005_outboundemail_template_context")]
AFTER = [("notifications", "0006_outboundemail_outbox_template_or_body")]


def row(**fields) -> OutboundEmail:
    return OutboundEmail(to="billing@example.com", kind=EmailKind.PAYMENT_RECEIVED, **fields)


@pytest.mark.django_db
def test_the_database_refuses_a_row_with_neither_template_nor_body():
    row(template="notifications/email/payment_received").save()  # the worker renders it
    row(subject="Old", body_text="Old body").save()  # rendered by the request, before issue 18
    with pytest.raises(IntegrityError, match="outbox_template_or_body"), transaction.atomic():
        row(subject="Nothing to say", body_html="<p>Only HTML</p>").save()
    with pytest.raises(IntegrityError, match="outbox_template_or_body"), transaction.atomic():
        OutboundEmail.objects.filter(template="").update(body_text="")  # a row emptied later
    assert OutboundEmail.objects.count() == 2


@pytest.mark.django_db(transaction=True)
def test_the_migration_mends_rows_with_neither_before_adding_the_check():
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    old = MigrationExecutor(connection).loader.project_state(BEFORE[0]).apps
    Row = old.get_model("notifications", "OutboundEmail")
    made = {
        name: Row.objects.create(to="billing@example.com", kind="payment_received", **fields).pk
        for name, fields in {
            "template": {"template": "notifications/email/payment_received"},
            "rendered": {"subject": "Old", "body_text": "Old body"},
            "html_only": {"subject": "Old", "body_html": "<p>Paid <b>$5.00</b></p>"},
            "empty_queued": {},
            "empty_sent": {"status": "sent", "sent_at": "2026-12-01T10:00:00Z"},
        }.items()
    }
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(AFTER)

    rows = OutboundEmail.objects.in_bulk(made.values())
    assert rows[made["template"]].body_text == "" and rows[made["template"]].status == "queued"
    assert rows[made["rendered"]].body_text == "Old body"
    assert rows[made["html_only"]].body_text == "Paid $5.00"
    assert rows[made["html_only"]].status == "queued"  # still sent, with its plain text now
    empty = rows[made["empty_queued"]]
    assert empty.status == "failed" and empty.next_attempt_at is None  # never sent empty
    assert empty.body_text and "no template" in empty.last_error
    assert rows[made["empty_sent"]].status == "sent" and rows[made["empty_sent"]].body_text
    with pytest.raises(IntegrityError), transaction.atomic():
        OutboundEmail.objects.filter(pk=made["rendered"]).update(body_text="")
