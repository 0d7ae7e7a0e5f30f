"""Who needs a second factor, which factors a user has, and whether a session has passed it.

Administrators and Finance always need one; Support too unless PAYDESK_2FA_REQUIRED_ROLES leaves
it out; portal users only once they have set one up. No setting turns it off for everyone.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.utils import timezone
from django_otp_webauthn.models import WebAuthnCredential

from paydesk.accounts.models import StaffRole
from paydesk.twofactor.models import (
    AuthenticatorDevice,
    FirstFactorSetup,
    RecoveryCodeDevice,
    SecondFactorLock,
)

# The roles that move money or manage users: never relaxed by a setting.
ALWAYS_REQUIRED_ROLES = frozenset({StaffRole.ADMIN.value, StaffRole.FINANCE.value})


def two_factor_required(user: Any) -> bool:
    """Whether `user` must pass a second factor before anything else (staff roles)."""
    if not getattr(user, "is_staff", False):
        return False
    required = ALWAYS_REQUIRED_ROLES | set(settings.PAYDESK_2FA_REQUIRED_ROLES)
    return user.staff_role in required


@dataclass(frozen=True)
class Factors:
    """A user's confirmed second factors."""

    authenticators: list[AuthenticatorDevice]
    passkeys: list[WebAuthnCredential]
    recovery: RecoveryCodeDevice | None

    @property
    def any(self) -> bool:
        """An authenticator app or a passkey (recovery codes only back those up)."""
        return bool(self.authenticators or self.passkeys)


def factors_for_user(user: Any) -> Factors:
    return Factors(
        authenticators=list(
            AuthenticatorDevice.objects.filter(user=user, confirmed=True).order_by(
                "created_at", "pk"
            )
        ),
        passkeys=list(
            WebAuthnCredential.objects.filter(user=user, confirmed=True).order_by(
                "created_at", "pk"
            )
        ),
        recovery=RecoveryCodeDevice.objects.filter(user=user, confirmed=True).first(),
    )


def has_second_factor(user: Any) -> bool:
    """Whether `user` has any confirmed factor (so a session must pass it)."""
    if not getattr(user, "pk", None):
        return False
    return (
        AuthenticatorDevice.objects.filter(user=user, confirmed=True).exists()
        or WebAuthnCredential.objects.filter(user=user, confirmed=True).exists()
        or RecoveryCodeDevice.objects.filter(user=user, confirmed=True).exists()
    )


def first_factor_setup_until(user: Any) -> datetime | None:
    """Until when `user` may set up a first factor with their password alone: for staff who
    must use one and have none, PAYDESK_2FA_SETUP_HOURS after their account was made or an
    Administrator last reset their factors; None when it is not limited so (portal users,
    Support when optional, anyone who has a factor: adding one then needs a verified session)."""
    if not two_factor_required(user) or has_second_factor(user):
        return None
    opened = FirstFactorSetup.objects.filter(user=user).values_list("opened_at", flat=True)
    start = max([user.date_joined, *opened])
    return start + timedelta(hours=settings.PAYDESK_2FA_SETUP_HOURS)


def first_factor_setup_open(user: Any, *, now: datetime | None = None) -> bool:
    """Whether `user` may set up a factor now without having passed one (see above)."""
    until = first_factor_setup_until(user)
    return until is None or (now or timezone.now()) < until


def session_verified(request: HttpRequest) -> bool:
    """Whether this session passed a second factor (django-otp's OTPMiddleware tells)."""
    user = getattr(request, "user", None)
    is_verified = getattr(user, "is_verified", None)
    return bool(user is not None and user.is_authenticated and is_verified and is_verified())


def factors_may_change(request: HttpRequest) -> bool:
    """Factors are added or changed only by a session that passed one, or while the user has
    none (and, for staff who must use one, while their first-factor set-up is open)."""
    if session_verified(request):
        return True
    return not has_second_factor(request.user) and first_factor_setup_open(request.user)


def second_factor_satisfied(request: HttpRequest) -> bool:
    """Whether the signed-in user may go on: verified, or neither required nor set up."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return True
    if session_verified(request):
        return True
    return not (two_factor_required(user) or has_second_factor(user))


def second_factor_locked_until(user: Any, *, now: datetime | None = None) -> datetime | None:
    """Until when `user`'s second factor is refused after too many wrong answers, or None."""
    lock = SecondFactorLock.objects.filter(user=user).first()
    now = now or timezone.now()
    if lock is None or lock.locked_until is None or lock.locked_until <= now:
        return None
    return lock.locked_until


def default_landing(user: Any) -> str:
    """Where a user lands after the second factor when no page was asked for."""
    return "backoffice:index" if getattr(user, "is_staff", False) else settings.LOGIN_REDIRECT_URL
