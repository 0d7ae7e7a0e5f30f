"""audit_record: what an entry says about the object it is about."""

from __future__ import annotations

import pytest
from django.utils.functional import SimpleLazyObject

from paydesk.audit.services import audit_record
from tests.factories import StaffFactory

pytestmark = pytest.mark.django_db


def test_an_object_behind_a_lazy_object_is_named_by_what_it_wraps():
    """A view passing request.user (a SimpleLazyObject) recorded the object type
    "simplelazyobject" (two_factor.verify and others)."""
    user = StaffFactory()
    entry = audit_record(action="test.lazy", actor=user, obj=SimpleLazyObject(lambda: user))
    entry.refresh_from_db()
    assert (entry.object_type, entry.object_id) == ("user", str(user.pk))


def test_a_plain_object_is_named_by_its_model():
    user = StaffFactory()
    entry = audit_record(action="test.plain", actor=user, obj=user)
    entry.refresh_from_db()
    assert (entry.object_type, entry.object_id) == ("user", str(user.pk))
