"""Idempotency keys are scoped per customer, no longer per API key (docs/api.md, Idempotency-Key).

`IdempotencyRecord.caller` was `key:<api key id>` or `user:<user id>`; it is now
`customer:<customer id>` for a customer's user (whichever key or session it used) and
`user:<user id>` for staff (`Caller.identity`); `requested_by` is the user who sent it (only
they get its answer replayed). The records stored under the old scope are kept 24 hours and a
client may be retrying one across the deploy: each is re-keyed to its new scope with its user,
so the retry still gets its first answer. Where two of one customer's keys (or users) used the
same Idempotency-Key — the double payment this change ends — the earlier record takes the new
scope and the later one stays under its old one, unread, until it is purged. A record whose
key or user is gone keeps its old scope. Nothing else is written. Going back drops the column
and leaves the scopes as they are (the old code then finds none of the re-keyed records).
"""

from django.db import migrations, models


def rescope(apps, schema_editor):
    Record = apps.get_model("api", "IdempotencyRecord")
    ApiKey = apps.get_model("api", "ApiKey")
    User = apps.get_model("accounts", "User")
    records = list(Record.objects.order_by("created_at", "pk").values_list("pk", "caller", "key"))
    taken = {(caller, key) for _, caller, key in records}
    key_ids = {int(c[4:]) for _, c, _ in records if c.startswith("key:") and c[4:].isdigit()}
    user_of_key = dict(ApiKey.objects.filter(pk__in=key_ids).values_list("pk", "user_id"))
    user_ids = set(user_of_key.values()) | {
        int(c[5:]) for _, c, _ in records if c.startswith("user:") and c[5:].isdigit()
    }
    customer_of = dict(User.objects.filter(pk__in=user_ids).values_list("pk", "customer_id"))

    def user_of(caller: str) -> int | None:
        kind, _, number = caller.partition(":")
        if not number.isdigit() or kind not in ("key", "user"):
            return None
        user_id = user_of_key.get(int(number)) if kind == "key" else int(number)
        return user_id if user_id in customer_of else None  # None: the key or its user is gone

    moved = []
    for pk, caller, key in records:
        user_id = user_of(caller)
        if user_id is None:
            continue
        customer_id = customer_of[user_id]
        new = f"customer:{customer_id}" if customer_id is not None else f"user:{user_id}"
        if new != caller and (new, key) in taken:
            continue
        taken.add((new, key))
        moved.append(Record(pk=pk, caller=new, requested_by=user_id))
    Record.objects.bulk_update(moved, ["caller", "requested_by"], batch_size=500)


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0004_text_without_control_characters"),
        ("api", "0002_text_without_control_characters"),
    ]

    operations = [
        migrations.AddField(
            model_name="idempotencyrecord",
            name="requested_by",
            field=models.BigIntegerField(blank=True, null=True),
        ),
        migrations.RunPython(rescope, migrations.RunPython.noop),
    ]
