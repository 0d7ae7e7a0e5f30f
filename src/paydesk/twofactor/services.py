"""Writes of two-factor sign-in: enrol an authenticator app, make recovery codes, verify a code
at sign-in (with its own lock after wrong answers), record passkey enrolment and use, remove a
factor, and an Administrator's reset. Every one is audited with the acting user.

Never stores or logs a code or secret in clear in the audit log.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

import django_otp
from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django_otp.models import Device
from django_otp_webauthn.models import WebAuthnCredential

from paydesk.accounts.models import StaffRole
from paydesk.accounts.resets import TWO_FACTOR_RESET, credentials_reset_announce
from paydesk.audit.services import audit_record
from paydesk.crypto import SecretUnreadable
from paydesk.errors import PaydeskError, PermissionDenied
from paydesk.twofactor import totp
from paydesk.twofactor.models import (
    AuthenticatorDevice,
    FirstFactorSetup,
    RecoveryCode,
    RecoveryCodeDevice,
    SecondFactorLock,
)
from paydesk.twofactor.recovery import (
    CODE_LENGTH,
    CODES_PER_SET,
    recovery_code_hash,
    recovery_code_new,
    recovery_code_normalize,
)
from paydesk.twofactor.selectors import (
    factors_for_user,
    first_factor_setup_open,
    second_factor_locked_until,
    two_factor_required,
)

logger = logging.getLogger(__name__)

FACTOR_TOTP = "authenticator"
FACTOR_PASSKEY = "passkey"
FACTOR_RECOVERY = "recovery_code"


class SecondFactorError(PaydeskError):
    """A second-factor code is wrong or already used, or a factor cannot be set up as asked."""

    code = "second_factor_error"


SETUP_CLOSED = (
    "The time to set up your first second factor with your password alone has passed. Ask an "
    "Administrator to allow it again (Two-factor sign-in on your user page)."
)


class SecondFactorLocked(SecondFactorError):
    """Too many wrong second-factor answers in a row: refused until `locked_until` (429)."""

    code = "second_factor_locked"

    def __init__(self, locked_until: datetime) -> None:
        super().__init__("Too many wrong codes. Try again later, or ask an Administrator.")
        self.locked_until = locked_until


def factor_kind(device: Device) -> str:
    if isinstance(device, AuthenticatorDevice):
        return FACTOR_TOTP
    if isinstance(device, WebAuthnCredential):
        return FACTOR_PASSKEY
    return FACTOR_RECOVERY


# --- enrolment ---------------------------------------------------------------------------


def totp_enrol(
    *, user: Any, key_hex: str, token: str, name: str = "", ip_address: str | None = None
) -> AuthenticatorDevice:
    """Add an authenticator app whose secret is `key_hex`, once `token` shows the app has it.
    The code used to confirm it cannot be used again to sign in. Staff who must use a second
    factor and have none: only while their first-factor set-up is open (selectors)."""
    if not first_factor_setup_open(user):
        raise SecondFactorError(SETUP_CLOSED)
    matched_t = totp.totp_match(key_hex, token)
    if matched_t is None:
        raise SecondFactorError(
            "That code does not match. Check the time on your phone and type the newest code.",
            field="code",
        )
    name = (name or "").strip()[:64] or "Authenticator app"
    with transaction.atomic():
        device = AuthenticatorDevice.objects.create(
            user=user,
            name=name,
            key=key_hex,
            step=totp.STEP,
            digits=totp.DIGITS,
            tolerance=totp.TOLERANCE,
            last_t=matched_t,
            confirmed=True,
        )
        audit_record(
            action="two_factor.enrol",
            actor=user,
            obj=user,
            customer_id=getattr(user, "customer_id", None),
            after={"factor": FACTOR_TOTP, "name": name, "device": device.persistent_id},
            ip_address=ip_address,
        )
    return device


def passkey_enrolled_record(
    *, user: Any, device: WebAuthnCredential, ip_address: str | None
) -> None:
    """Audit a passkey django-otp-webauthn has just registered, and give it a readable name."""
    with transaction.atomic():
        if not device.name:
            device.name = f"Passkey added {timezone.localdate():%Y-%m-%d}"
            device.save(update_fields=["name"])
        audit_record(
            action="two_factor.enrol",
            actor=user,
            obj=user,
            customer_id=getattr(user, "customer_id", None),
            after={"factor": FACTOR_PASSKEY, "name": device.name, "device": device.persistent_id},
            ip_address=ip_address,
        )


def recovery_codes_generate(*, user: Any, ip_address: str | None = None) -> list[str]:
    """A new set of one-time recovery codes for `user`, replacing any earlier set. Returns the
    codes in clear: the only time they are ever seen."""
    if not factors_for_user(user).any:
        raise SecondFactorError("Set up an authenticator app or a passkey first.")
    codes = [recovery_code_new() for _ in range(CODES_PER_SET)]
    with transaction.atomic():
        RecoveryCodeDevice.objects.filter(user=user).delete()
        device = RecoveryCodeDevice.objects.create(user=user, name="Recovery codes", confirmed=True)
        RecoveryCode.objects.bulk_create(
            RecoveryCode(device=device, code_hash=recovery_code_hash(device.salt, code))
            for code in codes
        )
        audit_record(
            action="two_factor.recovery_codes",
            actor=user,
            obj=user,
            customer_id=getattr(user, "customer_id", None),
            after={"count": len(codes), "device": device.persistent_id},
            ip_address=ip_address,
        )
    return codes


# --- sign-in ------------------------------------------------------------------------------


def second_factor_verify(*, user: Any, token: str, ip_address: str | None = None) -> Device:
    """The device `token` verifies for `user`: an authenticator's code (6 digits; one already
    used is refused) or an unused recovery code (spent now). Raises SecondFactorLocked while
    the user is locked out, SecondFactorError for a wrong answer (counted towards the lock).

    The answer is counted as a wrong one before it is checked (and the count cleared when it
    is right): answers sent together are checked no more times than answers sent one by one."""
    _answer_reserve(user=user, ip_address=ip_address)
    text = "".join((token or "").split())
    if text.isdigit() and len(text) != CODE_LENGTH:
        kind = FACTOR_TOTP
        candidates: list[Device] = list(
            AuthenticatorDevice.objects.filter(user=user, confirmed=True)
        )
    else:
        kind = FACTOR_RECOVERY
        candidates = list(RecoveryCodeDevice.objects.filter(user=user, confirmed=True))
        text = recovery_code_normalize(text) or text
    for device in list(candidates):
        try:
            verified = django_otp.verify_token(user, device.persistent_id, text)
        except SecretUnreadable:  # a key of PAYDESK_SECRETS_KEYS lost: this app cannot sign in
            logger.error(
                "The secret of authenticator app %s (user %s) cannot be decrypted with "
                "PAYDESK_SECRETS_KEYS: its codes are refused.",
                device.pk,
                user.pk,
            )
            candidates.remove(device)
            continue
        if verified is not None:
            second_factor_success_record(user=user, device=verified, ip_address=ip_address)
            return verified
    reused = kind == FACTOR_TOTP and any(
        totp.totp_match(device.key, text) is not None for device in candidates
    )
    second_factor_failure_record(
        user=user,
        factor=kind,
        reason="reused" if reused else "wrong",
        ip_address=ip_address,
        counted=True,
    )
    if reused:
        raise SecondFactorError(
            "That code has already been used. Wait for the next one.", field="code"
        )
    raise SecondFactorError("That code is not right.", field="code")


def second_factor_success_record(*, user: Any, device: Device, ip_address: str | None) -> None:
    """Audit a passed second factor and clear the count of wrong answers."""
    after: dict[str, Any] = {"factor": factor_kind(device), "name": device.name}
    if isinstance(device, RecoveryCodeDevice):
        after["recovery_codes_left"] = device.remaining
    with transaction.atomic():
        SecondFactorLock.objects.filter(user=user).update(failures=0)
        audit_record(
            action="two_factor.verify",
            actor=user,
            obj=user,
            customer_id=getattr(user, "customer_id", None),
            after=after,
            ip_address=ip_address,
        )


def _answer_reserve(*, user: Any, ip_address: str | None) -> None:
    """Count the answer about to be checked as a wrong one, or refuse it (SecondFactorLocked)
    while the user is locked out. When the answers already counted reach the limit (being
    checked at this moment, or lost to a crash), the second factor is locked now."""
    now = timezone.now()
    with transaction.atomic():
        lock, _created = SecondFactorLock.objects.select_for_update().get_or_create(user=user)
        if not _locked(lock, now) and lock.failures >= settings.PAYDESK_2FA_FAILURE_LIMIT:
            _lock(lock, now=now, user=user, ip_address=ip_address)
        if not _locked(lock, now):
            lock.failures += 1
        lock.save()
    if lock.locked_until is not None and lock.locked_until > now:
        raise SecondFactorLocked(lock.locked_until)


def _locked(lock: SecondFactorLock, now: datetime) -> bool:
    return lock.locked_until is not None and lock.locked_until > now


def _lock(lock: SecondFactorLock, *, now: datetime, user: Any, ip_address: str | None) -> None:
    """Lock the second factor for PAYDESK_2FA_LOCKOUT_MINUTES (audited); the count starts
    again after it. The caller saves `lock`."""
    lock.locked_until = now + timedelta(minutes=settings.PAYDESK_2FA_LOCKOUT_MINUTES)
    lock.failures = 0
    audit_record(
        action="two_factor.locked",
        actor=user,
        obj=user,
        customer_id=getattr(user, "customer_id", None),
        after={"until": lock.locked_until.isoformat()},
        ip_address=ip_address,
    )


def second_factor_failure_record(
    *, user: Any, factor: str, reason: str, ip_address: str | None, counted: bool = False
) -> None:
    """Count one wrong answer (`counted`: it was counted before it was checked); the
    PAYDESK_2FA_FAILURE_LIMIT-th in a row locks the second factor for
    PAYDESK_2FA_LOCKOUT_MINUTES (audited as two_factor.locked)."""
    now = timezone.now()
    with transaction.atomic():
        lock, _created = SecondFactorLock.objects.select_for_update().get_or_create(user=user)
        if not counted:
            lock.failures += 1
        audit_record(
            action="two_factor.verify_failed",
            actor=user,
            obj=user,
            customer_id=getattr(user, "customer_id", None),
            after={"factor": factor, "reason": reason, "failures": lock.failures},
            ip_address=ip_address,
        )
        if lock.failures >= settings.PAYDESK_2FA_FAILURE_LIMIT and not _locked(lock, now):
            _lock(lock, now=now, user=user, ip_address=ip_address)
        lock.save()


def second_factor_check_lock(*, user: Any) -> None:
    """Raise SecondFactorLocked while `user` is locked out after too many wrong answers."""
    until = second_factor_locked_until(user)
    if until is not None:
        raise SecondFactorLocked(until)


# --- removal and reset --------------------------------------------------------------------


def second_factor_remove(*, user: Any, device: Device, ip_address: str | None = None) -> None:
    """Remove one of the user's own authenticator apps or passkeys. Someone who must use a
    second factor keeps at least one; the recovery codes go with the last one."""
    if device.user_id != user.pk or isinstance(device, RecoveryCodeDevice):
        raise PermissionDenied("You cannot remove this.")
    factors = factors_for_user(user)
    remaining = len(factors.authenticators) + len(factors.passkeys) - 1
    if remaining < 1 and two_factor_required(user):
        raise SecondFactorError(
            "Your role needs a second factor: add another one before removing this one."
        )
    with transaction.atomic():
        kind, name = factor_kind(device), device.name
        device.delete()
        if remaining < 1:
            RecoveryCodeDevice.objects.filter(user=user).delete()
        audit_record(
            action="two_factor.remove",
            actor=user,
            obj=user,
            customer_id=getattr(user, "customer_id", None),
            before={"factor": kind, "name": name},
            ip_address=ip_address,
        )


def second_factors_reset(*, user: Any, actor: Any, ip_address: str | None = None) -> dict[str, int]:
    """An Administrator removes every second factor of `user` (a lost phone) and lifts their
    lock; their API keys are revoked and their sessions end; `user` sets up a new one at their
    next sign-in, within PAYDESK_2FA_SETUP_HOURS (also how to allow set-up again for someone
    who has none). Not for one's own account."""
    if not getattr(actor, "pk", None) or not actor.has_role(StaffRole.ADMIN):
        raise PermissionDenied("Only an Administrator can reset two-factor sign-in.")
    if actor.pk == user.pk:
        raise PermissionDenied("Ask another Administrator to reset your own two-factor sign-in.")
    with transaction.atomic():
        removed = {
            "authenticators": _delete_every(AuthenticatorDevice, user),
            "passkeys": _delete_every(WebAuthnCredential, user),
            "recovery_code_sets": _delete_every(RecoveryCodeDevice, user),
        }
        SecondFactorLock.objects.filter(user=user).delete()
        # They may set up a new one with their password alone for PAYDESK_2FA_SETUP_HOURS.
        FirstFactorSetup.objects.update_or_create(user=user, defaults={"opened_at": timezone.now()})
        audit_record(
            action="two_factor.reset",
            actor=actor,
            obj=user,
            customer_id=getattr(user, "customer_id", None),
            before=removed,
            ip_address=ip_address,
        )
        # Their API keys are revoked and every session of theirs ends (accounts/resets.py).
        credentials_reset_announce(
            user=user, actor=actor, reason=TWO_FACTOR_RESET, ip_address=ip_address
        )
    return removed


def _delete_every(model: Any, user: Any) -> int:
    """Delete every `model` device of `user`; how many went."""
    return model.objects.filter(user=user).delete()[1].get(model._meta.label, 0)
