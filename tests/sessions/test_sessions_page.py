""" "Your sessions": the list (device, address, sign-in, last activity), signing one or all
others out (the other client is signed out on its next request), and a password change that
signs out every other session — for staff (back office) and portal users alike."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from paydesk.audit.models import AuditEntry
from paydesk.sessions.models import UserSession
from tests.factories import PASSWORD, PortalUserFactory, StaffFactory
from tests.signin import fresh_code
from tests.signin import sign_in as signed_in_past_second_factor

pytestmark = pytest.mark.django_db

SESSIONS = "/accounts/sessions/"
DEVICE_CELL = re.compile(r'<td data-label="Device">(.*?)</td>', re.S)
FIREFOX_WINDOWS = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0"
NEW_PASSWORD = "a-new-long-passphrase-77"


def sign_in(user, *, agent: str, address: str) -> Client:
    """A session of `user` from one device, through the sign-in page (so it is recorded with
    that device and address); staff then through the second-factor step."""
    client = Client(HTTP_USER_AGENT=agent, REMOTE_ADDR=address)
    login = "/backoffice/login/" if user.is_staff else "/accounts/login/"
    response = client.post(login, {"username": user.email, "password": PASSWORD})
    assert response.status_code == 302
    if user.is_staff:
        verified = client.post("/accounts/two-factor/verify/", {"code": fresh_code(user)})
        assert verified.status_code == 302, verified.content[:500]
    return client


def home(user) -> str:
    return "/backoffice/" if user.is_staff else "/"


@pytest.fixture(params=["staff", "portal"])
def user(request):
    return StaffFactory(staff_role="support") if request.param == "staff" else PortalUserFactory()


def test_the_page_lists_each_session_with_device_address_and_times(user):
    laptop = sign_in(user, agent="Firefox on the laptop", address="203.0.113.7")
    sign_in(user, agent="Safari on the phone", address="198.51.100.9")

    response = laptop.get(SESSIONS)

    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    page = response.content.decode()
    for text in ("Firefox on the laptop", "203.0.113.7", "Safari on the phone", "198.51.100.9"):
        assert text in page
    assert page.count("This session") == 1
    assert page.index("Firefox on the laptop") < page.index("Safari on the phone")  # current first
    sessions = response.context["sessions"]
    assert [s.is_current for s in sessions] == [True, False]
    assert all(s.signed_in_at and s.last_activity_at for s in sessions)
    assert session_key_not_in(page, user)


def test_each_device_reads_in_words_with_its_raw_string_one_click_away():
    user = PortalUserFactory()
    laptop = sign_in(user, agent=FIREFOX_WINDOWS, address="203.0.113.7")
    sign_in(user, agent="Firefox on the laptop", address="198.51.100.9")
    Client(REMOTE_ADDR="192.0.2.1").post(  # a client that sends no User-Agent at all
        "/accounts/login/", {"username": user.email, "password": PASSWORD}
    )

    page = laptop.get(SESSIONS).content.decode()

    cells = [" ".join(cell.split()) for cell in DEVICE_CELL.findall(page)]
    assert cells == [
        f'<details class="device"><summary>Firefox 133 on Windows</summary>'
        f'<code class="user-agent">{FIREFOX_WINDOWS}</code></details>',
        "Unknown device",  # the latest, then the one before
        '<details class="device"><summary>Unknown device</summary>'
        '<code class="user-agent">Firefox on the laptop</code></details>',
    ]


def session_key_not_in(page: str, user) -> bool:
    return all(row.session_key not in page for row in UserSession.objects.filter(user=user))


def test_signing_out_another_session_signs_that_client_out_on_its_next_request(user):
    mine = sign_in(user, agent="mine", address="203.0.113.7")
    theirs = sign_in(user, agent="theirs", address="198.51.100.9")
    assert theirs.get(home(user)).status_code == 200
    other = UserSession.objects.get(user=user, user_agent="theirs")

    response = mine.post(f"/accounts/sessions/{other.pk}/sign-out")

    assert response.status_code == 302
    assert theirs.get(home(user)).status_code == 302  # to sign in
    assert mine.get(home(user)).status_code == 200
    assert [s.user_agent for s in mine.get(SESSIONS).context["sessions"]] == ["mine"]
    entry = AuditEntry.objects.get(action="auth.session_sign_out")
    assert entry.actor == user and entry.after["user_agent"] == "theirs"
    assert entry.ip_address == "203.0.113.7"


def test_sign_out_all_others_keeps_this_one(user):
    mine = sign_in(user, agent="mine", address="203.0.113.7")
    others = [sign_in(user, agent=f"other {n}", address="198.51.100.9") for n in range(3)]

    response = mine.post("/accounts/sessions/sign-out-others", follow=True)

    assert "3 other sessions signed out." in response.content.decode()
    for client in others:
        assert client.get(home(user)).status_code == 302
    assert mine.get(home(user)).status_code == 200
    entry = AuditEntry.objects.get(action="auth.sessions_sign_out")
    assert entry.actor == user and entry.after["sessions"] == 3


def test_nobody_signs_out_someone_elses_session_or_their_own_from_the_list(user):
    mine = sign_in(user, agent="mine", address="203.0.113.7")
    stranger = PortalUserFactory()
    sign_in(stranger, agent="stranger", address="198.51.100.9")
    theirs = UserSession.objects.get(user=stranger)
    current = UserSession.objects.get(user=user)

    assert mine.post(f"/accounts/sessions/{theirs.pk}/sign-out").status_code == 404
    assert mine.post(f"/accounts/sessions/{current.pk}/sign-out").status_code == 404
    assert UserSession.objects.filter(pk__in=[theirs.pk, current.pk]).count() == 2
    assert mine.get(f"/accounts/sessions/{theirs.pk}/sign-out").status_code == 405


def test_the_forms_need_a_csrf_token(user):
    client = signed_in_past_second_factor(Client(enforce_csrf_checks=True), user)
    assert client.post("/accounts/sessions/sign-out-others").status_code == 403


def test_a_staff_password_change_in_the_back_office_signs_out_the_others():
    staff = StaffFactory(staff_role="finance")
    mine = sign_in(staff, agent="mine", address="203.0.113.7")
    theirs = sign_in(staff, agent="theirs", address="198.51.100.9")

    response = mine.post(
        "/backoffice/password_change/",
        {"old_password": PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )

    assert response.status_code == 302
    assert mine.get("/backoffice/").status_code == 200  # this one stays (a new key)
    assert theirs.get("/backoffice/").status_code == 302
    assert [s.user_agent for s in mine.get(SESSIONS).context["sessions"]] == ["mine"]
    assert AuditEntry.objects.get(action="auth.sessions_sign_out").after == {
        "sessions": 1,
        "reason": "password changed",
        "kept_current": True,
    }
    # The row followed the session to its new key, so signing out "the others" still spares it.
    assert UserSession.objects.get(user=staff).session_key == mine.session.session_key


def test_a_portal_password_change_signs_out_the_others():
    user = PortalUserFactory()
    mine = sign_in(user, agent="mine", address="203.0.113.7")
    theirs = sign_in(user, agent="theirs", address="198.51.100.9")
    assert mine.get("/accounts/password/").status_code == 200

    response = mine.post(
        "/accounts/password/",
        {"old_password": PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )

    assert response.status_code == 302 and response["Location"] == "/accounts/password/done/"
    assert mine.get("/").status_code == 200
    assert theirs.get("/").status_code == 302
    assert AuditEntry.objects.filter(action="user.password_change", actor=user).exists()


def test_djangos_own_hash_check_ends_other_sessions_and_the_list_follows(user):
    """A password changed elsewhere (a reset by email, the command line): Django refuses every
    session made with the old password on its next request; the list never shows them."""
    mine = sign_in(user, agent="mine", address="203.0.113.7")
    theirs = sign_in(user, agent="theirs", address="198.51.100.9")
    user.set_password(NEW_PASSWORD)
    user.save()
    assert theirs.get(home(user)).status_code == 302
    fresh = Client(HTTP_USER_AGENT="fresh")
    login = "/backoffice/login/" if user.is_staff else "/accounts/login/"
    assert fresh.post(login, {"username": user.email, "password": NEW_PASSWORD}).status_code == 302
    if user.is_staff:
        code = fresh_code(user)
        assert fresh.post("/accounts/two-factor/verify/", {"code": code}).status_code == 302
    assert [s.user_agent for s in fresh.get(SESSIONS).context["sessions"]] == ["fresh"]
    assert list(UserSession.objects.filter(user=user).values_list("user_agent", flat=True)) == [
        "fresh"
    ]
    assert mine.get(home(user)).status_code == 302


def test_an_administrator_setting_a_password_signs_out_every_session_of_that_user():
    admin = StaffFactory(staff_role="admin")
    target = PortalUserFactory()
    theirs = sign_in(target, agent="theirs", address="198.51.100.9")
    client = signed_in_past_second_factor(Client(), admin)

    response = client.post(
        f"/backoffice/users/portaluser/{target.pk}/password/",
        {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
    )

    assert response.status_code == 302
    assert theirs.get("/").status_code == 302
    assert not UserSession.objects.filter(user=target).exists()
    entry = AuditEntry.objects.get(action="auth.sessions_sign_out")
    assert entry.actor == admin and entry.after["sessions"] == 1


def test_signing_out_forgets_the_row(user):
    client = sign_in(user, agent="mine", address="203.0.113.7")
    assert UserSession.objects.filter(user=user).count() == 1
    client.post("/accounts/logout/")
    assert not UserSession.objects.filter(user=user).exists()


def test_the_purge_forgets_rows_whose_session_cannot_be_alive(settings):
    from datetime import timedelta

    from django.utils import timezone

    from paydesk.sessions.services import sessions_purge

    settings.PAYDESK_STAFF_SESSION_MAX_HOURS = 12
    portal, staff = PortalUserFactory(), StaffFactory(staff_role="finance")
    sign_in(portal, agent="portal", address="203.0.113.7")
    sign_in(staff, agent="staff", address="203.0.113.8")
    now = timezone.now()
    assert sessions_purge(now=now) == 0
    # 13 hours on: the staff session is past its lifetime; the portal one is still young.
    assert sessions_purge(now=now + timedelta(hours=13)) == 1
    assert list(UserSession.objects.values_list("user_agent", flat=True)) == ["portal"]
    # Past Django's session age, nothing of it can be alive.
    later = now + timedelta(seconds=settings.SESSION_COOKIE_AGE + 3600)
    assert sessions_purge(now=later) == 1
    assert not UserSession.objects.exists()


@pytest.mark.parametrize("service", ["one", "others"])
def test_signing_out_sessions_without_a_signed_in_user_is_refused_clearly(service):
    """The services name the acting user's sessions: asked with nobody signed in they refuse
    in words (SessionError), not with the ORM's TypeError about an AnonymousUser."""
    from django.contrib.auth.models import AnonymousUser
    from django.contrib.sessions.backends.db import SessionStore
    from django.test import RequestFactory

    from paydesk.sessions.services import (
        SessionError,
        session_sign_out,
        sessions_sign_out_others,
    )

    request = RequestFactory().post("/accounts/sessions/sign-out-others")
    request.user = AnonymousUser()
    request.session = SessionStore()
    with pytest.raises(SessionError, match="Sign in first"):
        if service == "one":
            session_sign_out(request=request, session_id=1)
        else:
            sessions_sign_out_others(request=request)
