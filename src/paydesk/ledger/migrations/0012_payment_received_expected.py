"""What a gateway reported received of a partly paid payment (`gateway_received_amount`,
`gateway_received_currency`), and what a payment was to credit when staff completed it with the
amount actually received (`expected_total`). Guards re-installed: a SQLite table rebuild drops
them. Payments completed before this keep no expected amount (final rows are never rewritten)."""

from django.db import migrations, models

import paydesk.fields
from paydesk.ledger.guards import install_migration


class Migration(migrations.Migration):
    dependencies = [
        ("ledger", "0011_payment_cancel_note"),
    ]

    operations = [
        migrations.AddField(
            model_name="payment",
            name="expected_total",
            field=paydesk.fields.AmountField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="payment",
            name="gateway_received_amount",
            field=models.CharField(blank=True, db_default="", default="", max_length=40),
        ),
        migrations.AddField(
            model_name="payment",
            name="gateway_received_currency",
            field=models.CharField(blank=True, db_default="", default="", max_length=10),
        ),
        migrations.RunPython(install_migration, migrations.RunPython.noop),
    ]
