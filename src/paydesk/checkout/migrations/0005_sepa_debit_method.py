"""SEPA Direct Debit, a Pay via value of its own (issue 14): the choices, and its MethodConfig
row, disabled until an Administrator turns it on (it is offered only with a saved mandate)."""

from django.db import migrations, models


def create_sepa_config(apps, schema_editor):
    MethodConfig = apps.get_model("checkout", "MethodConfig")
    MethodConfig.objects.get_or_create(
        method="sepa_debit",
        defaults={
            "display_name": "SEPA Direct Debit",
            "enabled": False,
            "currencies": ["EUR"],
            "amounts_currency": "EUR",
        },
    )


class Migration(migrations.Migration):
    dependencies = [
        ("checkout", "0004_payment_log_append_only"),
    ]

    operations = [
        migrations.AlterField(
            model_name="methodconfig",
            name="method",
            field=models.CharField(
                choices=[
                    ("bank_transfer", "Bank Transfer"),
                    ("paypal", "PayPal"),
                    ("card", "Credit Card"),
                    ("sepa_debit", "SEPA Direct Debit"),
                    ("razorpay", "Razor Pay"),
                    ("paystack", "Pay Stack"),
                    ("nowpayments", "Now Payments"),
                    ("voucher", "Voucher"),
                ],
                max_length=20,
                unique=True,
            ),
        ),
        migrations.AlterField(
            model_name="quote",
            name="method",
            field=models.CharField(
                choices=[
                    ("bank_transfer", "Bank Transfer"),
                    ("paypal", "PayPal"),
                    ("card", "Credit Card"),
                    ("sepa_debit", "SEPA Direct Debit"),
                    ("razorpay", "Razor Pay"),
                    ("paystack", "Pay Stack"),
                    ("nowpayments", "Now Payments"),
                    ("voucher", "Voucher"),
                    ("manual", "Manual entry"),
                ],
                max_length=20,
            ),
        ),
        migrations.RunPython(create_sepa_config, migrations.RunPython.noop),
    ]
