"""Keep the amount a bank transfer expected with its approvals (issue 13, finding 6).

Completing a transfer for another amount changes the payment's total; the amount it expected
was only in the audit log. Existing approvals get it back: a pending transfer's total is still
the amount expected; a completed one's is the total before completion, as the `payment.complete`
audit entry recorded it. An approval with neither stays empty (shown as the total).
"""

from decimal import Decimal

from django.db import migrations

import paydesk.fields


def backfill_expected(apps, schema_editor):
    TransferApproval = apps.get_model("banktransfers", "TransferApproval")
    AuditEntry = apps.get_model("audit", "AuditEntry")
    for approval in TransferApproval.objects.filter(expected__isnull=True).select_related(
        "payment"
    ):
        payment = approval.payment
        expected = None
        if payment.status == "pending":
            expected = payment.total
        else:
            entry = (
                AuditEntry.objects.filter(
                    action="payment.complete", object_type="payment", object_id=str(payment.pk)
                )
                .order_by("at", "id")
                .first()
            )
            before = (entry.before or {}) if entry is not None else {}
            if before.get("total") not in (None, ""):
                expected = Decimal(before["total"])
        if expected is not None:
            approval.expected = expected
            approval.save(update_fields=["expected"])


class Migration(migrations.Migration):
    dependencies = [
        ("audit", "0001_initial"),
        ("banktransfers", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="transferapproval",
            name="expected",
            field=paydesk.fields.AmountField(
                blank=True,
                help_text=(
                    "The transfer's pending amount when it was approved (account currency): "
                    "completing it for another amount changes the payment's total, never this."
                ),
                null=True,
            ),
        ),
        migrations.RunPython(backfill_expected, migrations.RunPython.noop, elidable=True),
    ]
