"""Delivery.given_up_at: when a delivery's retries ran out (the purge counts the retention of a
given-up delivery from it). Rows already given up get the time of their last attempt (their
give-up happened right after it), or their give-up deadline when they have no attempt logged."""

from django.db import migrations, models
from django.db.models import OuterRef, Subquery
from django.db.models.functions import Coalesce


def given_up_at_fill(apps, schema_editor):
    Delivery = apps.get_model("outhooks", "Delivery")
    Attempt = apps.get_model("outhooks", "Attempt")
    last = Attempt.objects.filter(delivery=OuterRef("pk")).order_by("-at").values("at")[:1]
    Delivery.objects.filter(status="failed", given_up_at__isnull=True).update(
        given_up_at=Coalesce(Subquery(last), "give_up_at")
    )


class Migration(migrations.Migration):
    dependencies = [("outhooks", "0001_initial")]

    operations = [
        migrations.AddField(
            model_name="delivery",
            name="given_up_at",
            field=models.DateTimeField(blank=True, null=True, verbose_name="given up at"),
        ),
        migrations.RunPython(given_up_at_fill, migrations.RunPython.noop),
    ]
