"""An outbox row has a template (rendered by the worker) or a rendered body: CHECK
outbox_template_or_body.

Existing rows: since 0005 every row is written with a template (services.py); rows queued
before it have an empty template and the subject and bodies the request rendered. A row with
neither cannot be sent (the worker would send an empty message), and none is expected; one
found anyway is made valid first, without inventing a message:
- one with an HTML body only gets that body's text as its plain body (what it would have said);
- one with nothing at all gets a note as its body, and, unless it was sent already, is failed
  with no retry (left for staff, `last_error` saying why), so it is never sent.

Why it is not atomic: on PostgreSQL the constraint is added NOT VALID (a brief ACCESS EXCLUSIVE
lock, committed at once) and then validated in its own step, which reads the whole table under a
lock that lets the requests and the worker go on writing. In one transaction the first lock would
be held until the validation's scan ended, blocking every write to the outbox meanwhile.

So a run can stop halfway (VALIDATE refused by a row written between the mend and the ADD, a
lock timeout, a killed process), leaving the constraint added NOT VALID and the migration not
recorded. It is safe to run again: the mend only touches rows still empty, the ADD is skipped
when the constraint is there already (PostgreSQL has no ADD CONSTRAINT IF NOT EXISTS), and
VALIDATE of a constraint already valid does nothing. SQLite has no NOT VALID: it rebuilds the
table with the constraint, in one transaction so that a failure leaves the old table as it was.
"""

from django.db import migrations, models, transaction
from django.db.models import Q
from django.utils.html import strip_tags

CONSTRAINT = models.CheckConstraint(
    condition=~Q(template="") | ~Q(body_text=""), name="outbox_template_or_body"
)
EMPTY_NOTE = "(This message was queued with no template and no body.)"


def rows_mend(apps, schema_editor):
    OutboundEmail = apps.get_model("notifications", "OutboundEmail")
    empty = OutboundEmail.objects.filter(template="", body_text="")
    for row in empty.exclude(body_html="").only("pk", "body_html"):
        text = strip_tags(row.body_html).strip() or EMPTY_NOTE
        OutboundEmail.objects.filter(pk=row.pk).update(body_text=text)
    empty.exclude(status="sent").update(
        status="failed",
        next_attempt_at=None,
        last_error="Nothing to send: no template and no body (migration 0006).",
    )
    empty.update(body_text=EMPTY_NOTE)


def constraint_add(apps, schema_editor):
    model = apps.get_model("notifications", "OutboundEmail")
    db = schema_editor.connection
    if db.vendor != "postgresql":
        # SQLite rebuilds the table from the model's constraints: this historical model is the
        # state before the AddConstraint, so it is given the new one first.
        model._meta.constraints = [*model._meta.constraints, CONSTRAINT]
        with transaction.atomic(using=db.alias):
            schema_editor.add_constraint(model, CONSTRAINT)
        return
    with db.cursor() as cursor:
        added = CONSTRAINT.name in db.introspection.get_constraints(cursor, model._meta.db_table)
    if not added:  # by an earlier run that stopped before its VALIDATE ended
        schema_editor.execute(f"{CONSTRAINT.create_sql(model, schema_editor)} NOT VALID")
    table = schema_editor.quote_name(model._meta.db_table)
    name = schema_editor.quote_name(CONSTRAINT.name)
    schema_editor.execute(f"ALTER TABLE {table} VALIDATE CONSTRAINT {name}")


def constraint_remove(apps, schema_editor):
    schema_editor.remove_constraint(apps.get_model("notifications", "OutboundEmail"), CONSTRAINT)


class Migration(migrations.Migration):
    atomic = False  # each step commits on its own: see the module's docstring

    dependencies = [("notifications", "0005_outboundemail_template_context")]

    operations = [
        migrations.RunPython(rows_mend, migrations.RunPython.noop, atomic=True),
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.AddConstraint("outboundemail", CONSTRAINT)],
            database_operations=[migrations.RunPython(constraint_add, constraint_remove)],
        ),
    ]
