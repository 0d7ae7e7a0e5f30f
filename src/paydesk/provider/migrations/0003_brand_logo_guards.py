"""A brand logo is never updated or deleted: issued invoices and credit notes name it by its
sha256 (guards.py). Triggers on PostgreSQL and SQLite; unapplying drops them."""

from django.db import migrations

from paydesk.provider.guards import GUARDS


class Migration(migrations.Migration):
    dependencies = [
        ("provider", "0002_brand_logo_versions"),
    ]

    operations = [
        migrations.RunPython(GUARDS.install_migration, GUARDS.uninstall_migration),
    ]
