"""`Payment.not_taken`: cancelled by Paydesk at once because the processor rate limited it
(nothing made there), so the API's same Idempotency-Key makes a new attempt. Until now that was
read from the cancel reason's prefix, "Not taken: ". `db_default`: an app server still on the
code before it inserts payments without the column during a rolling deploy.

The payments cancelled that way before are marked by that prefix, exactly (case and all), and
only Paydesk's own cancels (no user) without a gateway reference, as `not_taken` read them.
Those rows are cancelled, so final: the guards (ledger/guards.py) are lifted for that one
UPDATE and put back in the same transaction, as only migrations and `flush` may (on SQLite
that also puts back what a table rebuild drops; unapplied, they are put back after the column
is dropped)."""

from django.db import migrations, models
from django.db.models.functions import Substr

from paydesk.ledger.guards import install, uninstall

PREFIX = "Not taken: "  # checkout.services.NOT_TAKEN when this was written


def mark_not_taken(apps, schema_editor):
    Payment = apps.get_model("ledger", "Payment")
    uninstall(schema_editor.connection)
    Payment.objects.annotate(prefix=Substr("cancel_reason", 1, len(PREFIX))).filter(
        status="cancelled", cancelled_by__isnull=True, gateway_reference="", prefix=PREFIX
    ).update(not_taken=True)
    install(schema_editor.connection)


def reinstall_guards(apps, schema_editor):
    """Unapplied, after the column is dropped (a SQLite table rebuild drops the guards)."""
    install(schema_editor.connection)


class Migration(migrations.Migration):

    dependencies = [
        ("ledger", "0013_voucher_bonus_relations"),
    ]

    operations = [
        migrations.RunPython(migrations.RunPython.noop, reinstall_guards),
        migrations.AddField(
            model_name="payment",
            name="not_taken",
            field=models.BooleanField(
                db_default=False,
                default=False,
                help_text="Cancelled because the processor did not take it: nothing was charged.",
            ),
        ),
        migrations.RunPython(mark_not_taken, migrations.RunPython.noop),
    ]
