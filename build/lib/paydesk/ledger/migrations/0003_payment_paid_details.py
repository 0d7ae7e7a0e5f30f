"""What was paid when it differs from the credit (spec §3): paid amount and currency, exact FX
rate, surcharge. All nullable, so SQLite adds the columns in place; the guards are re-installed
anyway, because a table rebuild on SQLite would drop them (ledger/guards.py)."""

from django.db import migrations, models

import paydesk.fields
from paydesk.ledger.guards import install_migration


class Migration(migrations.Migration):
    dependencies = [
        ("ledger", "0002_ledger_guards"),
    ]

    operations = [
        migrations.AddField(
            model_name="payment",
            name="fx_rate",
            field=models.CharField(
                blank=True,
                help_text="Exact rate paid → account currency.",
                max_length=40,
                null=True,
            ),
        ),
        migrations.AddField(
            model_name="payment",
            name="paid_amount",
            field=paydesk.fields.AmountField(
                blank=True, help_text="Amount charged, surcharge included.", null=True
            ),
        ),
        migrations.AddField(
            model_name="payment",
            name="paid_currency",
            field=models.CharField(blank=True, max_length=3, null=True),
        ),
        migrations.AddField(
            model_name="payment",
            name="surcharge",
            field=paydesk.fields.AmountField(
                blank=True, help_text="In the paid currency.", null=True
            ),
        ),
        migrations.RunPython(install_migration, migrations.RunPython.noop),
    ]
