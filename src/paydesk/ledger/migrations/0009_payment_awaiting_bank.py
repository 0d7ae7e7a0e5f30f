"""A SEPA Direct Debit the banks are still settling is a stored fact (`awaiting_bank`, set from
the gateway's event by checkout/events), no longer recognised by matching its pending reason's
text. Pending Stripe payments that carry that text today get the flag (the text and the gateway
name are written here as they were: this migration must not change with the code). Guards
re-installed: a SQLite table rebuild drops them."""

from django.db import migrations, models

from paydesk.ledger.guards import install_migration

STRIPE_GATEWAY = "card"
SEPA_PROCESSING = (
    "The SEPA Direct Debit is on its way: banks take up to a few business days to confirm it. "
    "The payment completes when Stripe confirms the money."
)


def flag_pending_sepa_debits(apps, schema_editor):
    Payment = apps.get_model("ledger", "Payment")
    Payment.objects.filter(
        status="pending", gateway=STRIPE_GATEWAY, pending_reason=SEPA_PROCESSING
    ).update(awaiting_bank=True)


class Migration(migrations.Migration):
    dependencies = [
        ("ledger", "0008_payment_customer_balance"),
    ]

    operations = [
        migrations.AddField(
            model_name="payment",
            name="awaiting_bank",
            field=models.BooleanField(db_default=False, default=False),
        ),
        migrations.RunPython(install_migration, migrations.RunPython.noop),
        migrations.RunPython(flag_pending_sepa_debits, migrations.RunPython.noop, elidable=True),
    ]
