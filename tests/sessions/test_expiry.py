"""quality.md S3 extended: staff sessions end when idle and at their absolute lifetime; an ended
session is signed out and sent to sign in. Time is driven by rewriting the session's own
timestamps (its mark) or by passing `now`: nothing sleeps, nothing is timed."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.test import Client

from paydesk.audit.models import AuditEntry
from paydesk.sessions.models import UserSession
from paydesk.sessions.services import (
    IDLE,
    LIFETIME,
    MARK,
    session_expiry_reason,
)
from tests.factories import PASSWORD, PortalUserFactory, StaffFactory
from tests.signin import fresh_code

pytestmark = pytest.mark.django_db

BACKOFFICE = "/backoffice/"


def signed_in(user, path: str = "/backoffice/login/") -> Client:
    """A client signed in through the real sign-in form (so the sign-in signal runs), and for
    staff through the second-factor step with a code of their authenticator app."""
    client = Client()
    response = client.post(path, {"username": user.email, "password": PASSWORD})
    assert response.status_code == 302, response.content[:500]
    if user.is_staff:
        verified = client.post("/accounts/two-factor/verify/", {"code": fresh_code(user)})
        assert verified.status_code == 302, verified.content[:500]
    return client


def shift(client: Client, *, signed_in_ago: timedelta, seen_ago: timedelta) -> None:
    """Pretend the session signed in and was last used that long ago."""
    session = client.session
    now = datetime.now(tz=UTC)
    mark = dict(session[MARK])
    mark["in"] = int((now - signed_in_ago).timestamp())
    mark["seen"] = int((now - seen_ago).timestamp())
    session[MARK] = mark
    session.save()


def test_policy_idle_and_lifetime_for_staff_only(settings):
    settings.PAYDESK_STAFF_SESSION_IDLE_MINUTES = 30
    settings.PAYDESK_STAFF_SESSION_MAX_HOURS = 12
    staff, portal = StaffFactory.build(staff_role="support"), PortalUserFactory.build()
    start = datetime(2025, 3, 1, 8, 0, tzinfo=UTC)

    def reason(user, *, signed_in_after, idle_for):
        now = start + signed_in_after
        return session_expiry_reason(
            user=user, signed_in_at=start, last_activity_at=now - idle_for, now=now
        )

    assert reason(staff, signed_in_after=timedelta(hours=1), idle_for=timedelta(minutes=29)) is None
    assert reason(staff, signed_in_after=timedelta(hours=1), idle_for=timedelta(minutes=31)) == IDLE
    assert (
        reason(staff, signed_in_after=timedelta(hours=12, minutes=1), idle_for=timedelta(0))
        == LIFETIME
    )
    assert reason(portal, signed_in_after=timedelta(days=3), idle_for=timedelta(days=2)) is None


def test_an_active_staff_session_goes_on():
    staff = StaffFactory(staff_role="finance")
    client = signed_in(staff)
    shift(client, signed_in_ago=timedelta(hours=11), seen_ago=timedelta(minutes=29))
    assert client.get(BACKOFFICE).status_code == 200
    # The request counted as activity: the mark and the row moved to now.
    mark = client.session[MARK]
    assert datetime.now(tz=UTC).timestamp() - mark["seen"] < 60
    row = UserSession.objects.get(user=staff)
    assert datetime.now(tz=UTC) - row.last_activity_at < timedelta(seconds=60)


def test_an_idle_staff_session_is_signed_out_and_sent_to_sign_in():
    staff = StaffFactory(staff_role="finance")
    client = signed_in(staff)
    shift(client, signed_in_ago=timedelta(hours=1), seen_ago=timedelta(minutes=31))

    response = client.get(BACKOFFICE)

    assert response.status_code == 302
    assert response["Location"].startswith("/backoffice/login/")
    assert "_auth_user_id" not in client.session
    assert not UserSession.objects.filter(user=staff).exists()
    entry = AuditEntry.objects.get(action="auth.session_expired")
    assert entry.actor == staff and entry.after["reason"] == "idle"
    # And it stays signed out: the next request is not let in either.
    assert client.get(BACKOFFICE).status_code == 302
    page = client.get(response["Location"])
    assert b"after a period without activity" in page.content


def test_a_staff_session_ends_at_its_lifetime_however_busy():
    staff = StaffFactory(staff_role="admin")
    client = signed_in(staff)
    shift(client, signed_in_ago=timedelta(hours=12, minutes=1), seen_ago=timedelta(seconds=5))

    response = client.get("/backoffice/ledger/payment/")

    assert response.status_code == 302
    assert response["Location"].startswith("/backoffice/login/")
    assert AuditEntry.objects.get(action="auth.session_expired").after["reason"] == "lifetime"


def test_the_store_and_the_cookie_end_a_staff_session_at_its_lifetime_too(settings):
    settings.PAYDESK_STAFF_SESSION_MAX_HOURS = 12
    client = signed_in(StaffFactory(staff_role="support"))
    age = client.session.get_expiry_age()
    assert 12 * 3600 - 60 < age <= 12 * 3600
    assert 12 * 3600 - 60 < int(client.cookies["sessionid"]["max-age"]) <= 12 * 3600


def test_the_api_answers_401_to_an_expired_staff_session():
    staff = StaffFactory(staff_role="finance")
    client = signed_in(staff)
    assert client.get("/api/v1/staff/customers").status_code == 200
    shift(client, signed_in_ago=timedelta(hours=1), seen_ago=timedelta(hours=1))
    assert client.get("/api/v1/staff/customers").status_code == 401


def test_settings_change_the_limits(settings):
    settings.PAYDESK_STAFF_SESSION_IDLE_MINUTES = 5
    client = signed_in(StaffFactory(staff_role="finance"))
    shift(client, signed_in_ago=timedelta(minutes=10), seen_ago=timedelta(minutes=6))
    assert client.get(BACKOFFICE).status_code == 302


def test_a_staff_session_from_before_sign_in_times_were_kept_is_ended():
    staff = StaffFactory(staff_role="finance")
    client = signed_in(staff)
    session = client.session
    del session[MARK]
    session.save()
    assert client.get(BACKOFFICE).status_code == 302
    assert AuditEntry.objects.get(action="auth.session_expired").after["reason"] == "untracked"


def test_portal_sessions_keep_todays_behaviour():
    user = PortalUserFactory()
    client = signed_in(user, "/accounts/login/")
    shift(client, signed_in_ago=timedelta(days=10), seen_ago=timedelta(days=9))
    assert client.get("/").status_code == 200
    assert not AuditEntry.objects.filter(action="auth.session_expired").exists()
