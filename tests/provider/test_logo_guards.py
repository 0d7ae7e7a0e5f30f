"""A kept brand logo (provider.models.BrandLogo) is never changed or deleted: issued invoices
and credit notes name it by its sha256. The database refuses both (provider/guards.py), on
PostgreSQL and SQLite, through the ORM and through plain SQL alike."""

from __future__ import annotations

import hashlib

import pytest
from django.db import IntegrityError, connection, transaction

from paydesk.provider.guards import MESSAGE_FINAL
from paydesk.provider.models import BrandLogo, LogoType

pytestmark = pytest.mark.django_db

DATA = b"<svg xmlns='http://www.w3.org/2000/svg'/>"
DIGEST = hashlib.sha256(DATA).hexdigest()


@pytest.fixture
def logo() -> BrandLogo:
    return BrandLogo.objects.create(sha256=DIGEST, logo_type=LogoType.SVG, data=DATA)


def _refused(change) -> None:
    with pytest.raises(IntegrityError, match=MESSAGE_FINAL), transaction.atomic():
        change()


def _sql(statement: str) -> None:
    with connection.cursor() as cursor:
        cursor.execute(statement, [DIGEST])


@pytest.mark.parametrize(
    "change",
    [
        lambda: BrandLogo.objects.filter(sha256=DIGEST).update(data=b"<svg/>"),
        lambda: BrandLogo.objects.filter(sha256=DIGEST).update(logo_type=LogoType.PNG),
        lambda: _sql("UPDATE provider_brandlogo SET created_at = created_at WHERE sha256 = %s"),
        lambda: BrandLogo.objects.get(sha256=DIGEST).delete(),
        lambda: BrandLogo.objects.all().delete(),
        lambda: _sql("DELETE FROM provider_brandlogo WHERE sha256 = %s"),
    ],
    ids=["data", "type", "sql-update", "delete", "queryset-delete", "sql-delete"],
)
def test_a_kept_logo_is_neither_changed_nor_deleted(logo, change):
    _refused(change)
    kept = BrandLogo.objects.get()
    assert (kept.sha256, kept.logo_type, bytes(kept.data)) == (DIGEST, LogoType.SVG, DATA)


def test_a_new_logo_is_a_new_row(logo):
    other = b"<svg xmlns='http://www.w3.org/2000/svg' width='1'/>"
    BrandLogo.objects.create(
        sha256=hashlib.sha256(other).hexdigest(), logo_type=LogoType.SVG, data=other
    )
    assert BrandLogo.objects.count() == 2
