"""One MethodConfig per Pay via method: bank transfer and voucher enabled; the online gateways
present but disabled until their issues land."""

from django.db import migrations

DEFAULTS = [
    ("bank_transfer", "Bank Transfer", True),
    ("paypal", "PayPal", False),
    ("card", "Credit Card", False),
    ("razorpay", "Razor Pay", False),
    ("paystack", "Pay Stack", False),
    ("nowpayments", "Now Payments", False),
    ("voucher", "Voucher", True),
]


def create_defaults(apps, schema_editor):
    MethodConfig = apps.get_model("checkout", "MethodConfig")
    for method, display_name, enabled in DEFAULTS:
        MethodConfig.objects.get_or_create(
            method=method, defaults={"display_name": display_name, "enabled": enabled}
        )


class Migration(migrations.Migration):
    dependencies = [("checkout", "0001_initial")]

    operations = [migrations.RunPython(create_defaults, migrations.RunPython.noop)]
