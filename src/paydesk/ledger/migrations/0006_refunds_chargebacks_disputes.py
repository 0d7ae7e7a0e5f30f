"""Refunds, chargebacks and disputes: the new relations (a refund or chargeback is negative, a
late payment or chargeback reversed positive), the refund limit of each refunded payment, and
disputes. Adding check constraints rebuilds the payment table on SQLite, and the customer gained
a column (accounts 0002): the guards are re-installed last (ledger/guards.py)."""

import django.db.models.deletion
import django.utils.timezone
import paydesk.fields
from django.conf import settings
from django.db import migrations, models

from paydesk.ledger.guards import install_migration


class Migration(migrations.Migration):

    dependencies = [
        ('accounts', '0002_customer_online_methods_paused'),
        ('ledger', '0005_payment_gateway_transaction_original'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='Dispute',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('gateway', models.CharField(max_length=20)),
                ('dispute_id', models.CharField(max_length=100)),
                ('status', models.CharField(choices=[('open', 'Open'), ('won', 'Won'), ('lost', 'Lost'), ('closed', 'Closed')], default='open', max_length=10)),
                ('gateway_status', models.CharField(blank=True, max_length=60)),
                ('reason', models.CharField(blank=True, max_length=300)),
                ('amount', paydesk.fields.AmountField(blank=True, help_text='Disputed, in `currency`.', null=True)),
                ('currency', models.CharField(blank=True, max_length=3)),
                ('evidence_due', models.DateTimeField(blank=True, null=True)),
                ('opened_at', models.DateTimeField(default=django.utils.timezone.now)),
                ('updated_at', models.DateTimeField(default=django.utils.timezone.now)),
                ('closed_at', models.DateTimeField(blank=True, null=True)),
            ],
            options={
                'ordering': ['-opened_at', '-id'],
            },
        ),
        migrations.CreateModel(
            name='RefundLimit',
            fields=[
                ('payment', models.OneToOneField(on_delete=django.db.models.deletion.PROTECT, primary_key=True, related_name='refund_limit', serialize=False, to='ledger.payment')),
                ('limit', paydesk.fields.AmountField(help_text='What the payment credited, account currency.')),
                ('held', paydesk.fields.AmountField(default=0, help_text='Refunds pending or completed.')),
            ],
        ),
        migrations.AlterField(
            model_name='payment',
            name='relation',
            field=models.CharField(blank=True, choices=[('', '—'), ('late_payment', 'Late payment'), ('refund', 'Refund'), ('chargeback', 'Chargeback'), ('chargeback_reversed', 'Chargeback reversed')], db_default='', default='', max_length=20),
        ),
        migrations.AddConstraint(
            model_name='payment',
            constraint=models.CheckConstraint(condition=models.Q(models.Q(('relation__in', ['refund', 'chargeback']), _negated=True), ('total__lt', 0), _connector='OR'), name='payment_money_back_negative'),
        ),
        migrations.AddConstraint(
            model_name='payment',
            constraint=models.CheckConstraint(condition=models.Q(models.Q(('relation__in', ['late_payment', 'chargeback_reversed']), _negated=True), ('total__gt', 0), _connector='OR'), name='payment_money_in_positive'),
        ),
        migrations.AddField(
            model_name='dispute',
            name='chargeback',
            field=models.OneToOneField(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='ledger.payment'),
        ),
        migrations.AddField(
            model_name='dispute',
            name='customer',
            field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='disputes', to='accounts.customer'),
        ),
        migrations.AddField(
            model_name='dispute',
            name='payment',
            field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='disputes', to='ledger.payment'),
        ),
        migrations.AddField(
            model_name='dispute',
            name='reversal',
            field=models.OneToOneField(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='ledger.payment'),
        ),
        migrations.AddConstraint(
            model_name='refundlimit',
            constraint=models.CheckConstraint(condition=models.Q(('held__gte', 0), ('held__lte', models.F('limit'))), name='refund_limit_held_within_limit'),
        ),
        migrations.AddIndex(
            model_name='dispute',
            index=models.Index(fields=['status', 'evidence_due'], name='dispute_open_due'),
        ),
        migrations.AddConstraint(
            model_name='dispute',
            constraint=models.UniqueConstraint(models.F('gateway'), models.F('dispute_id'), name='dispute_unique_per_gateway'),
        ),
        migrations.RunPython(install_migration, migrations.RunPython.noop),
    ]
