"""The sign-in throttle (django-axes' database handler, AXES_HANDLER): a password is counted as
a wrong one before it is checked, so passwords sent at once get no more checks than passwords
sent one by one.

django-axes asks whether a sign-in is allowed (the failures so far below the limit), checks the
password, and counts the failure afterwards: every request in flight passed the first step, and
as many passwords as requests at once were checked against a lock of AXES_FAILURE_LIMIT. Here
the attempt is counted first, under the attempt row's lock, and allowed only if that count is
within the limit; a right password then clears the count (AXES_RESET_ON_SUCCESS), a wrong one is
not counted again.

Two limits, within AXES_COOLOFF_TIME of the last attempt:
- per name and client address (AXES_FAILURE_LIMIT): past it that pair is locked (HTTP 429);
- per name across every address (PAYDESK_LOGIN_USER_FAILURE_LIMIT): past it, a guesser spread
  over many addresses is refused unchecked until the count falls back (no attempt for the
  cool-off), but an address this account has signed in from before (axes' access log) is not
  held back by it, so a stranger cannot keep the account's owner out.
"""

from __future__ import annotations

from typing import Any

from axes.attempts import get_cool_off_threshold
from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_client_username, get_failure_limit
from axes.models import AccessAttempt, AccessLog
from axes.signals import user_locked_out
from django.conf import settings
from django.db import router, transaction
from django.db.models import F, Sum


def _checks_a_password(credentials: dict[str, Any] | None) -> bool:
    """A sign-in with a password (not a passkey's authenticate call, which carries none)."""
    return bool(credentials) and credentials.get("password") is not None  # type: ignore[union-attr]


class CountFirstHandler(AxesDatabaseHandler):
    def is_allowed(self, request: Any, credentials: dict[str, Any] | None = None) -> bool:
        if (
            not _checks_a_password(credentials)
            or self.is_blacklisted(request, credentials)
            or self.is_whitelisted(request, credentials)
        ):
            return super().is_allowed(request, credentials)
        self.clean_expired_user_attempts(request, credentials)
        username = get_client_username(request, credentials)
        counted = self._count(request, username)
        request.paydesk_counted = True
        if counted > get_failure_limit(request, credentials):
            return False
        return not self._over_user_limit(request, username)

    def _count(self, request: Any, username: str) -> int:
        """Count this attempt as a failure now; the pair's failures within the cool-off."""
        with transaction.atomic(using=router.db_for_write(AccessAttempt)):
            attempt, created = AccessAttempt.objects.select_for_update().get_or_create(
                username=username,
                ip_address=request.axes_ip_address,
                user_agent=request.axes_user_agent,
                defaults={
                    "get_data": "",
                    "post_data": "",
                    "http_accept": request.axes_http_accept,
                    "path_info": request.axes_path_info,
                    "failures_since_start": 1,
                    "attempt_time": request.axes_attempt_time,
                },
            )
            if not created:
                AccessAttempt.objects.filter(pk=attempt.pk).update(
                    failures_since_start=F("failures_since_start") + 1,
                    attempt_time=request.axes_attempt_time,
                    http_accept=request.axes_http_accept,
                    path_info=request.axes_path_info,
                )
        # Read after the count committed: the attempts counted before this one are all seen.
        return self._failures(request, username=username, ip_address=request.axes_ip_address)

    def _failures(self, request: Any, **scope: str) -> int:
        found = AccessAttempt.objects.filter(
            attempt_time__gte=get_cool_off_threshold(request), **scope
        ).aggregate(total=Sum("failures_since_start"))
        return found["total"] or 0

    def _over_user_limit(self, request: Any, username: str) -> bool:
        if self._failures(request, username=username) <= settings.PAYDESK_LOGIN_USER_FAILURE_LIMIT:
            return False
        known = AccessLog.objects.filter(username=username, ip_address=request.axes_ip_address)
        return not known.exists()

    def user_login_failed(
        self, sender: Any, credentials: dict, request: Any = None, **kwargs: Any
    ) -> None:
        """A failure already counted by is_allowed is not counted again: the pair is locked
        when its count has reached the limit (this answer is then 429)."""
        if request is None or not getattr(request, "paydesk_counted", False):
            super().user_login_failed(sender, credentials, request, **kwargs)
            return
        username = get_client_username(request, credentials)
        failures = self._failures(request, username=username, ip_address=request.axes_ip_address)
        request.axes_failures_since_start = failures
        if failures >= get_failure_limit(request, credentials) or self._over_user_limit(
            request, username
        ):
            request.axes_locked_out = True
            request.axes_credentials = credentials
            user_locked_out.send(
                "axes", request=request, username=username, ip_address=request.axes_ip_address
            )
