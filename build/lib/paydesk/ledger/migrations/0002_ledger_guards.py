from django.db import migrations

from paydesk.ledger.guards import install_migration, uninstall_migration


class Migration(migrations.Migration):
    dependencies = [
        ("ledger", "0001_initial"),
        ("accounts", "0001_initial"),
        ("audit", "0001_initial"),
    ]

    operations = [migrations.RunPython(install_migration, uninstall_migration)]
