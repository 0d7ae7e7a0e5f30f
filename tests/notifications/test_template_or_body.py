"""An outbox row has a template (rendered by the worker) or a rendered body: the database
refuses one with neither (CHECK outbox_template_or_body), and migration 0006 mends such rows
written before it, so that it can add the constraint."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, OperationalError, connection, transaction
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


class Interrupted(OperationalError):
    """What stops a run halfway: a lock timeout, a killed connection."""


def interrupt_the_last_step(execute, sql, params, many, context):
    """The statement after which a stop leaves the most behind: PostgreSQL's VALIDATE (the
    constraint was added NOT VALID and committed just before), SQLite's copy of the rows into
    the table it rebuilds with the constraint."""
    if "VALIDATE CONSTRAINT" in sql or sql.startswith('INSERT INTO "new__notifications_'):
        raise Interrupted("canceling statement due to lock timeout")
    return execute(sql, params, many, context)


@pytest.mark.django_db(transaction=True)
def test_a_run_stopped_at_its_last_step_runs_again_to_the_end():
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    with connection.execute_wrapper(interrupt_the_last_step), pytest.raises(Interrupted):
        MigrationExecutor(connection).migrate(AFTER)
    assert MigrationExecutor(connection).migration_plan(AFTER)  # not recorded: to run again

    MigrationExecutor(connection).migrate(AFTER)

    assert not MigrationExecutor(connection).migration_plan(AFTER)
    with pytest.raises(IntegrityError, match="outbox_template_or_body"), transaction.atomic():
        row(subject="Nothing to say").save()
    if connection.vendor == "postgresql":  # validated: it holds for the rows already there too
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT convalidated FROM pg_constraint WHERE conname = %s",
                ["outbox_template_or_body"],
            )
            assert cursor.fetchall() == [(True,)]
