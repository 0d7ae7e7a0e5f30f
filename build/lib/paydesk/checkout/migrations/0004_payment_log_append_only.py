"""The payment log becomes append-only (checkout/guards.py): a row's result is written once; no
other UPDATE and no DELETE. A later migration that rebuilds the table on SQLite must re-install
the guard."""

from django.db import migrations

from paydesk.checkout.guards import install_migration, uninstall_migration


class Migration(migrations.Migration):
    dependencies = [
        ("checkout", "0003_gateway_payment_log"),
    ]

    operations = [
        migrations.RunPython(install_migration, uninstall_migration),
    ]
