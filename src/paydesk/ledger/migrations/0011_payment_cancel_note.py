"""A cancel reason is split at `#` like a description: `cancel_reason` is what the customer
sees, `cancel_note` staff's part after it. New cancellations only: a cancelled payment is final
(ledger/guards.py), so no stored row changes. Guards re-installed: a SQLite table rebuild drops
them."""

import django.core.validators
from django.db import migrations, models

from paydesk.ledger.guards import install_migration


class Migration(migrations.Migration):

    dependencies = [
        ('ledger', '0010_text_without_control_characters'),
    ]

    operations = [
        migrations.AddField(
            model_name='payment',
            name='cancel_note',
            field=models.CharField(blank=True, db_default='', default='', help_text="Private: the cancel reason's part after #, never shown to the customer.", max_length=500, validators=[django.core.validators.RegexValidator('[\\x00-\\x1f\\x7f-\\x9f]', 'Write this on one line, without tabs or other control characters.', 'control_characters', inverse_match=True)]),
        ),
        migrations.AlterField(
            model_name='payment',
            name='cancel_reason',
            field=models.CharField(blank=True, help_text='Why it was cancelled: what the customer sees.', max_length=500, validators=[django.core.validators.RegexValidator('[\\x00-\\x1f\\x7f-\\x9f]', 'Write this on one line, without tabs or other control characters.', 'control_characters', inverse_match=True)]),
        ),
        migrations.RunPython(install_migration, migrations.RunPython.noop),
    ]
