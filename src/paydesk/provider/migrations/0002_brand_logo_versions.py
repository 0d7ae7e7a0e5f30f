"""Every logo the brand has had, kept once each by its sha256 (BrandLogo), so an issued
invoice keeps the logo it was issued with; the brand row names its current one (logo_sha256).

The current logo, if any, becomes the table's first row and the brand's hash. Earlier logos were
never kept (the audit log holds only the first 16 hex digits of their hash), so invoices issued
before this migration cannot be given the logo of their issue date: they carry no hash and keep
drawing the brand's current logo (documents/provider.py). Issued documents are not touched.
Reversible: unapplying drops the table and the column.
"""

import hashlib

import django.utils.timezone
from django.db import migrations, models


def current_logo_kept(apps, schema_editor):
    Brand = apps.get_model("provider", "Brand")
    BrandLogo = apps.get_model("provider", "BrandLogo")
    for brand in Brand.objects.exclude(logo_type=""):
        data = bytes(brand.logo or b"")
        if not data:
            continue
        digest = hashlib.sha256(data).hexdigest()
        BrandLogo.objects.get_or_create(
            sha256=digest, defaults={"logo_type": brand.logo_type, "data": data}
        )
        Brand.objects.filter(pk=brand.pk).update(logo_sha256=digest)


class Migration(migrations.Migration):

    dependencies = [
        ('provider', '0001_initial'),
    ]

    operations = [
        migrations.AddField(
            model_name='brand',
            name='logo_sha256',
            field=models.CharField(blank=True, default='', editable=False, max_length=64),
        ),
        migrations.CreateModel(
            name='BrandLogo',
            fields=[
                ('sha256', models.CharField(max_length=64, primary_key=True, serialize=False)),
                ('logo_type', models.CharField(choices=[('', 'None'), ('image/png', 'PNG'), ('image/svg+xml', 'SVG')], max_length=20)),
                ('data', models.BinaryField()),
                ('created_at', models.DateTimeField(default=django.utils.timezone.now)),
            ],
            options={
                'verbose_name': 'brand logo',
                'constraints': [models.CheckConstraint(condition=models.Q(('logo_type__in', ['image/png', 'image/svg+xml'])), name='provider_brandlogo_type_known'), models.CheckConstraint(condition=models.Q(('sha256__regex', '^[0-9a-f]{64}$')), name='provider_brandlogo_sha256')],
            },
        ),
        migrations.RunPython(current_logo_kept, migrations.RunPython.noop),
    ]
