"""The tax rate (the invoicing settings' and each issued document's) becomes an integer of basis
points (20.00 % → 2000), like the ledger's integer amounts: it was a DecimalField, a REAL on
SQLite. Python still sees a Decimal percent (paydesk.fields.PercentField).

Existing rows are converted exactly, one distinct stored value at a time: a stored percent that
is not a whole number of basis points, or is outside 0–99.99, stops the migration (refused,
never rounded). Reversible: back to a percent with two decimals.

Issued documents are final (guards.py): the guards are lifted for the conversion inside the
migration's transaction and put back at its end (a table rebuild on SQLite drops them anyway).
"""

from decimal import Decimal

import django.core.validators
from django.db import migrations, models

import paydesk.fields
from paydesk.documents.guards import install_migration, uninstall_migration

TABLES = ("documents_invoicingsettings", "documents_document")


def _percent(value):
    """The exact percent a stored value means: SQLite hands back an int or a float (its REAL
    holds the nearest double to what was written, whose shortest text is that value),
    PostgreSQL a Decimal."""
    if isinstance(value, Decimal):
        return value
    return Decimal(str(value))


def _rewrite(schema_editor, source, target, convert):
    """Set `target` from `source` in both tables, one UPDATE per distinct stored value (a
    handful of rates), the value read back as the database gave it."""
    qn = schema_editor.connection.ops.quote_name
    with schema_editor.connection.cursor() as cursor:
        for table in TABLES:
            cursor.execute(f"SELECT DISTINCT {qn(source)} FROM {qn(table)}")
            for (stored,) in cursor.fetchall():
                cursor.execute(
                    f"UPDATE {qn(table)} SET {qn(target)} = %s WHERE {qn(source)} = %s",
                    [convert(table, stored), stored],
                )


def _to_basis_points(table, stored):
    percent = _percent(stored)
    units = percent * 100
    if units != units.to_integral_value() or not 0 <= units < 10000:
        raise ValueError(
            f"{table}: a tax rate of {percent} % is not a percent from 0 to 99.99 "
            "with at most two decimals; correct it before migrating."
        )
    return int(units)


def percent_to_basis_points(apps, schema_editor):
    _rewrite(schema_editor, "tax_rate", "tax_rate_bp", _to_basis_points)


def basis_points_to_percent(apps, schema_editor):
    _rewrite(schema_editor, "tax_rate_bp", "tax_rate", lambda table, units: Decimal(units) / 100)


class Migration(migrations.Migration):
    dependencies = [
        ("documents", "0001_initial"),
    ]

    operations = [
        migrations.RunPython(uninstall_migration, install_migration),
        migrations.RemoveConstraint(model_name="invoicingsettings", name="invoicing_rate_range"),
        # Nullable first, so that undoing the removal below adds the column back empty and the
        # reverse conversion fills it before it is NOT NULL again.
        migrations.AlterField(
            model_name="document",
            name="tax_rate",
            field=models.DecimalField(decimal_places=2, max_digits=5, null=True),
        ),
        migrations.AddField(
            model_name="invoicingsettings",
            name="tax_rate_bp",
            field=paydesk.fields.PercentField(default=Decimal("0")),
        ),
        migrations.AddField(
            model_name="document",
            name="tax_rate_bp",
            field=paydesk.fields.PercentField(default=Decimal("0")),
            preserve_default=False,
        ),
        migrations.RunPython(percent_to_basis_points, basis_points_to_percent),
        migrations.RemoveField(model_name="invoicingsettings", name="tax_rate"),
        migrations.RemoveField(model_name="document", name="tax_rate"),
        migrations.RenameField(
            model_name="invoicingsettings", old_name="tax_rate_bp", new_name="tax_rate"
        ),
        migrations.RenameField(model_name="document", old_name="tax_rate_bp", new_name="tax_rate"),
        migrations.AlterField(
            model_name="invoicingsettings",
            name="tax_rate",
            field=paydesk.fields.PercentField(
                default=Decimal("0"),
                help_text="Percent, at most two decimals: 20 or 7.5.",
                validators=[
                    django.core.validators.MinValueValidator(Decimal("0")),
                    django.core.validators.MaxValueValidator(Decimal("99.99")),
                ],
                verbose_name="tax rate (%)",
            ),
        ),
        migrations.AddConstraint(
            model_name="invoicingsettings",
            constraint=models.CheckConstraint(
                condition=models.Q(("tax_rate__gte", 0), ("tax_rate__lt", 100)),
                name="invoicing_rate_range",
            ),
        ),
        migrations.RunPython(install_migration, uninstall_migration),
    ]
