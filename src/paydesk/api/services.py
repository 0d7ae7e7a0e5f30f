"""Writes of the API app: create, revoke and check API keys; record, complete and purge
idempotency records.

A key is `pd_<prefix>_<secret>`; only the prefix (to find the row) and the SHA-256 of the whole
key are stored. The secret carries 256 random bits, so a plain hash is enough (no key
stretching needed) and keys survive a SECRET_KEY rotation. Never logs or stores a key in clear.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import secrets
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone

from paydesk.accounts.models import Customer, User
from paydesk.api.models import ApiKey, ApiScope, IdempotencyRecord
from paydesk.audit.services import audit_record
from paydesk.errors import PaydeskError, PermissionDenied
from paydesk.fastsql import first_joined
from paydesk.text import control_characters_refusal

KEY_PREFIX_LENGTH = 8
IDEMPOTENCY_KEY_MAX = 255
IDEMPOTENCY_KEEP = timedelta(hours=24)
LAST_USED_RESOLUTION = timedelta(minutes=1)


class ApiKeyError(PaydeskError):
    """An API key cannot be created or revoked as asked."""

    code = "api_key_error"


def key_hash(plain: str) -> str:
    return hashlib.sha256(plain.encode("utf-8")).hexdigest()


def api_key_create(*, user: Any, name: str, scopes: list[str]) -> tuple[ApiKey, str]:
    """A new key for `user`; returns the row and the key in clear, which is never seen again."""
    name = (name or "").strip()
    if not name:
        raise ApiKeyError("Give the key a name.", field="name")
    if len(name) > 100:
        raise ApiKeyError("That name is too long.", field="name")
    if refusal := control_characters_refusal(name):
        # Shown in lists and written to the audit log: no escape sequences, tabs or line breaks.
        raise ApiKeyError(refusal, field="name")
    wanted = sorted(set(scopes or []))
    if not wanted or any(scope not in ApiScope.values for scope in wanted):
        raise ApiKeyError("Choose the key's scopes: read, pay.", field="scopes")
    if not getattr(user, "pk", None) or not user.is_active:
        raise PermissionDenied("Sign in to create an API key.")
    if not user.is_staff and getattr(user, "customer_id", None) is None:
        raise PermissionDenied("Your sign-in is not linked to a customer account.")
    if ApiScope.PAY in wanted and ApiScope.READ not in wanted:
        wanted = sorted([*wanted, ApiScope.READ.value])
    for _attempt in range(5):
        prefix = secrets.token_hex(KEY_PREFIX_LENGTH // 2)
        if not ApiKey.objects.filter(prefix=prefix).exists():
            break
    plain = f"pd_{prefix}_{secrets.token_urlsafe(32)}"
    with transaction.atomic():
        key = ApiKey.objects.create(
            user=user, name=name, prefix=prefix, key_hash=key_hash(plain), scopes=wanted
        )
        audit_record(
            action="api_key.create",
            actor=user,
            obj=key,
            customer_id=getattr(user, "customer_id", None),
            after={"name": name, "prefix": prefix, "scopes": wanted},
        )
    return key, plain


def api_key_revoke(*, key: ApiKey, actor: Any) -> ApiKey:
    """Revoke a key at once; only its owner (or an Administrator) may."""
    if not getattr(actor, "pk", None) or (
        key.user_id != actor.pk and not actor.has_role()  # has_role(): Administrators only
    ):
        raise PermissionDenied("You cannot revoke this key.")
    with transaction.atomic():
        updated = ApiKey.objects.filter(pk=key.pk, revoked_at__isnull=True).update(
            revoked_at=timezone.now()
        )
        key.refresh_from_db()
        if updated:
            audit_record(
                action="api_key.revoke",
                actor=actor,
                obj=key,
                customer_id=getattr(key.user, "customer_id", None),
                after={"name": key.name, "prefix": key.prefix},
            )
    return key


def api_keys_revoke_all(*, user: Any, actor: Any, reason: str, ip_address: str | None) -> int:
    """Revoke every active key of `user` at once, each audited with `reason`: their credentials
    were reset (accounts/resets.py). Returns how many."""
    now = timezone.now()
    with transaction.atomic():
        keys = list(
            ApiKey.objects.select_for_update()
            .filter(user=user, revoked_at__isnull=True)
            .order_by("pk")
        )
        ApiKey.objects.filter(pk__in=[key.pk for key in keys]).update(revoked_at=now)
        for key in keys:
            audit_record(
                action="api_key.revoke",
                actor=actor,
                obj=key,
                customer_id=getattr(user, "customer_id", None),
                after={"name": key.name, "prefix": key.prefix, "reason": reason},
                ip_address=ip_address,
            )
    return len(keys)


def api_key_authenticate(*, plain: str, now: datetime | None = None) -> ApiKey | None:
    """The active key `plain` names (its user active too), or None; records its last use
    (to the minute, so that a busy key does not write on every request)."""
    parts = (plain or "").strip().split("_", 2)
    if len(parts) != 3 or parts[0] != "pd" or len(parts[1]) != KEY_PREFIX_LENGTH:
        return None
    # Every API request asks: one cached statement, the key with its user and their customer.
    found = first_joined((ApiKey, User, Customer), _key_joins(), _KEY_WHERE, [parts[1]])
    if found is None:
        return None
    key, user, customer = found
    assert isinstance(key, ApiKey)  # chain[0]'s row, never None when found
    if not hmac.compare_digest(key.key_hash, key_hash(plain.strip())):
        return None
    if key.revoked_at is not None or not isinstance(user, User) or not user.is_active:
        return None
    if user.customer_id is not None:
        User.customer.field.set_cached_value(user, customer)
    ApiKey.user.field.set_cached_value(key, user)
    now = now or timezone.now()
    if key.last_used_at is None or now - key.last_used_at >= LAST_USED_RESOLUTION:
        ApiKey.objects.filter(pk=key.pk).update(last_used_at=now)
        key.last_used_at = now
    return key


_KEY_WHERE = f"{ApiKey._meta.db_table}.prefix = %s"


@functools.cache
def _key_joins() -> str:
    key, user, customer = (m._meta.db_table for m in (ApiKey, User, Customer))
    return (
        f"LEFT JOIN {user} ON {user}.id = {key}.user_id "
        f"LEFT JOIN {customer} ON {customer}.id = {user}.customer_id"
    )


def idempotency_purge(*, now: datetime | None = None) -> int:
    """Forget idempotency records older than IDEMPOTENCY_KEEP (worker job); returns how many."""
    now = now or timezone.now()
    deleted, _ = IdempotencyRecord.objects.filter(created_at__lt=now - IDEMPOTENCY_KEEP).delete()
    return deleted
