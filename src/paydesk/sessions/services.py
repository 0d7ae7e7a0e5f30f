"""Signed-in sessions: when each began and was last used, the staff expiry policy (an idle time
and an absolute lifetime), and signing out other sessions — by the user from "Your sessions",
or after a password change.

The session itself lives in Django's session store (SESSION_ENGINE); a UserSession row describes
it for the list. Ending a session deletes it from the store, so its client is signed out on its
very next request. Each session also carries a small mark (MARK): its row, its key, when it
signed in and when it was last seen, so that the expiry check on every request reads no table.
Never decides who a request belongs to: Django's AuthenticationMiddleware does.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from importlib import import_module
from typing import Any

from django.conf import settings
from django.contrib.auth import HASH_SESSION_KEY, SESSION_KEY
from django.contrib.auth.models import AnonymousUser
from django.contrib.sessions.backends.base import SessionBase
from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.crypto import constant_time_compare
from django.utils.translation import gettext_lazy

from paydesk.audit.services import audit_record
from paydesk.errors import PaydeskError
from paydesk.sessions.devices import device_name
from paydesk.sessions.models import UserSession
from paydesk.web.client_ip import client_ip

MARK = "_paydesk_session"
# Last activity is written at most once a minute per session (the session and its row), so a
# busy page costs no write per request; idle time is therefore measured to the minute.
ACTIVITY_STEP = timedelta(seconds=60)
USER_AGENT_MAX = 300

IDLE = "idle"
LIFETIME = "lifetime"
UNTRACKED = "untracked"
EXPIRY_REASONS = {
    IDLE: gettext_lazy("You were signed out after a period without activity."),
    LIFETIME: gettext_lazy("You were signed out: a staff session lasts a fixed time."),
    UNTRACKED: gettext_lazy("You were signed out: this session began before an update."),
}


class SessionError(PaydeskError):
    """A session cannot be signed out as asked (not one of yours, or the one you are using)."""

    code = "session_error"


@dataclass(frozen=True, slots=True)
class Mark:
    """What a session records about itself: its row, its key, sign-in and last activity."""

    row_id: int
    key: str
    signed_in_at: datetime
    seen_at: datetime


def _read_mark(session: SessionBase | Mapping[str, Any]) -> Mark | None:
    raw: Any = session.get(MARK)  # anything a session holds: a wrong shape is no mark
    try:
        return Mark(
            row_id=int(raw["id"]),
            key=str(raw["key"]),
            signed_in_at=datetime.fromtimestamp(int(raw["in"]), tz=UTC),
            seen_at=datetime.fromtimestamp(int(raw["seen"]), tz=UTC),
        )
    except (TypeError, KeyError, ValueError):
        return None


def _write_mark(session: SessionBase, mark: Mark) -> None:
    session[MARK] = {  # a new dict each time, so the session knows it changed
        "id": mark.row_id,
        "key": mark.key,
        "in": int(mark.signed_in_at.timestamp()),
        "seen": int(mark.seen_at.timestamp()),
    }


def staff_session_limits() -> tuple[timedelta, timedelta]:
    """(idle time, absolute lifetime) of a staff session, from the settings."""
    return (
        timedelta(minutes=int(settings.PAYDESK_STAFF_SESSION_IDLE_MINUTES)),
        timedelta(hours=int(settings.PAYDESK_STAFF_SESSION_MAX_HOURS)),
    )


def session_expiry_reason(
    *, user: Any, signed_in_at: datetime, last_activity_at: datetime, now: datetime
) -> str | None:
    """IDLE or LIFETIME when a staff session must end at `now`; None while it may go on.

    Portal users' sessions keep Django's own expiry (SESSION_COOKIE_AGE) and never end here.
    """
    if not getattr(user, "staff_role", ""):
        return None
    idle, lifetime = staff_session_limits()
    if now - signed_in_at > lifetime:
        return LIFETIME
    if now - last_activity_at > idle:
        return IDLE
    return None


def _store(session_key: str | None = None) -> SessionBase:
    return import_module(settings.SESSION_ENGINE).SessionStore(session_key=session_key)


def _describe(request: HttpRequest) -> dict[str, Any]:
    return {
        "user_agent": request.META.get("HTTP_USER_AGENT", "")[:USER_AGENT_MAX],
        "ip_address": client_ip(request),
    }


def session_start(*, request: HttpRequest, user: Any, now: datetime | None = None) -> UserSession:
    """Record a session that has just signed in (Django's user_logged_in): its row and mark.

    A staff session also gets its absolute lifetime as the store's and the cookie's expiry, so
    Django itself forgets it then, whatever happens to this module's checks.
    """
    now = now or timezone.now()
    session = request.session
    if not session.session_key:  # login() flushed a previous user's session: make the new key
        session.save()
    key = session.session_key
    assert key is not None  # save() made it
    row, _created = UserSession.objects.update_or_create(
        session_key=key,
        defaults={"user": user, "signed_in_at": now, "last_activity_at": now, **_describe(request)},
    )
    _write_mark(session, Mark(row_id=row.pk, key=key, signed_in_at=now, seen_at=now))
    if getattr(user, "staff_role", ""):
        session.set_expiry(now + staff_session_limits()[1])
    return row


def session_forget(*, session_key: str | None) -> None:
    """A session signed out (Django's user_logged_out): drop its row."""
    if session_key:
        UserSession.objects.filter(session_key=session_key).delete()


def session_check(*, request: HttpRequest, now: datetime | None = None) -> str | None:
    """For each request of a signed-in user: end the session when its time is up (returns the
    reason; the request goes on signed out), otherwise note the activity (once a minute)."""
    now = now or timezone.now()
    user = request.user
    if not user.is_authenticated:  # the middleware asks only for a signed-in user
        return None
    session = request.session
    mark = _read_mark(session)
    if mark is None:
        if getattr(user, "staff_role", ""):
            _end_current(request, UNTRACKED, mark=None, now=now)
            return UNTRACKED
        session_start(request=request, user=user, now=now)  # a portal session from before
        return None
    reason = session_expiry_reason(
        user=user, signed_in_at=mark.signed_in_at, last_activity_at=mark.seen_at, now=now
    )
    if reason is not None:
        _end_current(request, reason, mark=mark, now=now)
        return reason
    key = session.session_key or ""
    if key != mark.key or now - mark.seen_at >= ACTIVITY_STEP:
        # The key changes when Django cycles it (a password change keeps the session under a
        # new key): the row follows it, so "sign out the others" never misses this one.
        described = {"session_key": key, "last_activity_at": now, **_describe(request)}
        if not UserSession.objects.filter(pk=mark.row_id, user=user).update(**described):
            try:
                row: UserSession | None
                with transaction.atomic():
                    row = UserSession.objects.create(
                        user=user, signed_in_at=mark.signed_in_at, **described
                    )
            except IntegrityError:  # a parallel request of this session made it first
                row = UserSession.objects.filter(session_key=key, user=user).first()
            if row is None:
                return None
            mark = Mark(row_id=row.pk, key=key, signed_in_at=mark.signed_in_at, seen_at=now)
        _write_mark(
            session, Mark(row_id=mark.row_id, key=key, signed_in_at=mark.signed_in_at, seen_at=now)
        )
    return None


def session_key_follow(*, request: HttpRequest) -> None:
    """After a view that cycled the session's key: its row and mark follow the new key, so the
    sessions page and "sign out the others" see this session at once."""
    session = request.session
    mark = _read_mark(session)
    key = session.session_key or ""
    if mark is None or not key or key == mark.key or not request.user.is_authenticated:
        return
    UserSession.objects.filter(pk=mark.row_id, user=request.user).update(session_key=key)
    _write_mark(
        session,
        Mark(row_id=mark.row_id, key=key, signed_in_at=mark.signed_in_at, seen_at=mark.seen_at),
    )


def _end_current(request: HttpRequest, reason: str, *, mark: Mark | None, now: datetime) -> None:
    user = request.user
    if not user.is_authenticated:  # only session_check ends a session, for a signed-in user
        return
    audit_record(
        action="auth.session_expired",
        actor=user,
        obj=user,
        ip_address=client_ip(request),
        after={
            "reason": reason,
            "signed_in_at": mark.signed_in_at.isoformat() if mark else None,
            "last_activity_at": mark.seen_at.isoformat() if mark else None,
            "at": now.isoformat(),
        },
    )
    if mark is not None:  # its row, even when the key was cycled since (a second factor, a
        UserSession.objects.filter(pk=mark.row_id, user=user).delete()  # password change)
    session_forget(session_key=request.session.session_key)
    request.session.flush()
    request.user = AnonymousUser()


def _session_is_valid(user: Any, data: dict[str, Any], now: datetime) -> bool:
    """Whether a session's stored data still signs `user` in: the same user, the password it
    was signed in with (Django's session auth hash, as AuthenticationMiddleware checks it), and
    for staff within the idle time and lifetime."""
    if str(data.get(SESSION_KEY, "")) != str(user.pk):
        return False
    stored = data.get(HASH_SESSION_KEY) or ""
    hashes = [user.get_session_auth_hash(), *user.get_session_auth_fallback_hash()]
    if not any(constant_time_compare(stored, known) for known in hashes):
        return False
    mark = _read_mark(data)
    if mark is None:
        return not getattr(user, "staff_role", "")
    reason = session_expiry_reason(
        user=user, signed_in_at=mark.signed_in_at, last_activity_at=mark.seen_at, now=now
    )
    return reason is None


@dataclass(frozen=True, slots=True)
class ActiveSession:
    """One row of "Your sessions"."""

    id: int
    user_agent: str
    device: str  # readable, from user_agent ("Firefox 133 on Windows"); "" when unreadable
    ip_address: str | None
    signed_in_at: datetime
    last_activity_at: datetime
    is_current: bool


def user_sessions(
    *, user: Any, current_key: str | None, now: datetime | None = None
) -> list[ActiveSession]:
    """The user's sessions that still sign them in, the current one first, then by last activity.

    Rows whose session ended elsewhere (expired in the store, a password changed, signed out)
    are removed on the way.
    """
    now = now or timezone.now()
    active, dead = [], []
    for row in UserSession.objects.filter(user=user).order_by("-last_activity_at", "-id"):
        is_current = bool(current_key) and row.session_key == current_key
        if is_current or _session_is_valid(user, _store(row.session_key).load(), now):
            active.append(
                ActiveSession(
                    id=row.pk,
                    user_agent=row.user_agent,
                    device=device_name(row.user_agent),
                    ip_address=row.ip_address,
                    signed_in_at=row.signed_in_at,
                    last_activity_at=row.last_activity_at,
                    is_current=is_current,
                )
            )
        else:
            dead.append(row.pk)
    if dead:
        UserSession.objects.filter(pk__in=dead).delete()
    return sorted(active, key=lambda s: not s.is_current)


def _end(rows: list[UserSession]) -> int:
    for row in rows:
        _store(row.session_key).delete()
    UserSession.objects.filter(pk__in=[row.pk for row in rows]).delete()
    return len(rows)


def session_sign_out(*, request: HttpRequest, session_id: int) -> UserSession:
    """Sign out one of the acting user's other sessions; audited with the acting user."""
    user = request.user
    if not user.is_authenticated:
        raise SessionError("Sign in first.")
    row = UserSession.objects.filter(pk=session_id, user=user).first()
    if row is None:
        raise SessionError("No such session.")
    if row.session_key == request.session.session_key:
        raise SessionError("That is the session you are using: sign out instead.")
    _end([row])
    audit_record(
        action="auth.session_sign_out",
        actor=user,
        obj=user,
        ip_address=client_ip(request),
        after={
            "session": row.pk,
            "user_agent": row.user_agent,
            "ip_address": row.ip_address,
            "signed_in_at": row.signed_in_at.isoformat(),
        },
    )
    return row


def sessions_sign_out_others(
    *, request: HttpRequest, reason: str = "signed out by the user"
) -> int:
    """Sign out every session of the acting user but this one; audited. Returns how many."""
    user = request.user
    if not user.is_authenticated:
        raise SessionError("Sign in first.")
    current = request.session.session_key or ""
    rows = list(UserSession.objects.filter(user=user).exclude(session_key=current))
    count = _end(rows)
    audit_record(
        action="auth.sessions_sign_out",
        actor=user,
        obj=user,
        ip_address=client_ip(request),
        after={"sessions": count, "reason": reason, "kept_current": True},
    )
    return count


def sessions_after_password_change(*, request: HttpRequest) -> int:
    """After the user changed their own password (Django's update_session_auth_hash kept this
    session under a new key): the row follows the new key and every other session ends now,
    rather than on its next request when Django would find the old password's hash."""
    session = request.session
    mark = _read_mark(session)
    if mark is not None and session.session_key and session.session_key != mark.key:
        UserSession.objects.filter(pk=mark.row_id).update(session_key=session.session_key)
        _write_mark(
            session,
            Mark(mark.row_id, session.session_key, mark.signed_in_at, mark.seen_at),
        )
    return sessions_sign_out_others(request=request, reason="password changed")


def sessions_end_all(*, user: Any, actor: Any, reason: str, ip_address: str | None = None) -> int:
    """End every session of `user` (their credentials were reset: accounts/resets.py); audited."""
    count = _end(list(UserSession.objects.filter(user=user)))
    audit_record(
        action="auth.sessions_sign_out",
        actor=actor,
        obj=user,
        ip_address=ip_address,
        after={"user": user.email, "sessions": count, "reason": reason, "kept_current": False},
    )
    return count


def sessions_purge(*, now: datetime | None = None) -> int:
    """Worker job: forget rows whose session cannot be alive any more, and let the session store
    drop its expired sessions (Django's clearsessions). Returns how many rows went."""
    now = now or timezone.now()
    _store().__class__.clear_expired()
    _idle, lifetime = staff_session_limits()
    longest = timedelta(seconds=int(settings.SESSION_COOKIE_AGE)) + ACTIVITY_STEP
    deleted, _ = UserSession.objects.filter(last_activity_at__lt=now - longest).delete()
    staff, _ = UserSession.objects.filter(
        user__staff_role__gt="", signed_in_at__lt=now - lifetime
    ).delete()
    return deleted + staff
