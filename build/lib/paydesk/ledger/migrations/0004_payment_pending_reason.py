"""Why a pending payment waits, and whether Finance must look at it (spec §5: nothing stays
pending without a staff-visible reason). Guards re-installed: a SQLite table rebuild drops them."""

from django.db import migrations, models

from paydesk.ledger.guards import install_migration


class Migration(migrations.Migration):

    dependencies = [
        ('ledger', '0003_payment_paid_details'),
    ]

    operations = [
        migrations.AddField(
            model_name='payment',
            name='needs_attention',
            field=models.BooleanField(db_default=False, default=False),
        ),
        migrations.AddField(
            model_name='payment',
            name='pending_reason',
            field=models.CharField(blank=True, db_default='', default='', max_length=300),
        ),
        migrations.RunPython(install_migration, migrations.RunPython.noop),
    ]
