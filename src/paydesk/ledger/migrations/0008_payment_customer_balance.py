"""The statement's lowest and highest running balance of a customer's whole history read one
index step each (bench P3: the MIN/MAX aggregate scanned every completed payment).

CREATE INDEX only: the table is not rebuilt, so the guards of 0002 stay in place on SQLite."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("ledger", "0007_sepa_debit_method"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="payment",
            index=models.Index(
                fields=["customer", "status", "balance_after"], name="payment_customer_balance"
            ),
        ),
    ]
