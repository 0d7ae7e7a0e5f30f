"""The back office's store of gateway credentials: a test and a live set per gateway, encrypted.

Only Administrators save; every save is audited with the names of the values changed and the
word "changed" (never a value, never a part of one). A value is refused when its prefix says
it belongs to the other mode (gateways/credentials.py's catalogue). Reading a value decrypts it;
`secrets_rotate` re-encrypts every row under the first key of PAYDESK_SECRETS_KEYS.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from django.apps import apps
from django.db import transaction
from django.db.models import Expression
from django.utils import timezone

from paydesk.accounts.models import StaffRole
from paydesk.audit.services import audit_record
from paydesk.crypto import (
    ENCRYPTED_COLUMNS,
    secret_decrypt,
    secret_encrypt,
    secret_rotate,
)
from paydesk.errors import PaydeskError, PermissionDenied
from paydesk.gateways.credentials import BY_GATEWAY, BY_SETTING
from paydesk.provider.models import CredentialMode, GatewaySecret

MAX_VALUE_LENGTH = 2000


class CredentialInvalid(PaydeskError):
    code = "credential_invalid"


def stored_value(setting: str, mode: str | Expression) -> str:
    """The stored value of `setting` in the `mode` set of its gateway ('' when none); `mode` may
    be an expression (the method's mode as a subquery: one query for both)."""
    entry = BY_SETTING.get(setting)
    if entry is None:
        return ""
    token = (
        GatewaySecret.objects.filter(gateway=entry.gateway, mode=mode, setting=setting)
        .values_list("ciphertext", flat=True)
        .first()
    )
    return secret_decrypt(token) if token else ""


def stored_rows(gateway: str) -> dict[tuple[str, str], GatewaySecret]:
    """(mode, setting) → the stored row (with its last four characters), for the page."""
    rows = GatewaySecret.objects.filter(gateway=gateway).defer("ciphertext")
    return {(row.mode, row.setting): row for row in rows}


def _check(gateway: str, mode: str, values: Mapping[str, str]) -> None:
    entry = BY_GATEWAY.get(gateway)
    if entry is None:
        raise CredentialInvalid(f"Unknown gateway {gateway!r}.")
    if mode not in CredentialMode.values:
        raise CredentialInvalid("A credential set is either test or live.", field="mode")
    for setting, value in values.items():
        if setting not in {f.setting for f in entry.fields}:
            raise CredentialInvalid(f"{entry.display_name} has no setting {setting}.")
        field = entry.field(setting)
        if len(value) > MAX_VALUE_LENGTH or any(c.isspace() for c in value):
            raise CredentialInvalid(
                f"{field.label}: paste the value exactly as the gateway shows it (no spaces, at "
                f"most {MAX_VALUE_LENGTH} characters).",
                field=setting,
            )
        said = field.mode_of(value)
        if said and said != mode:
            raise CredentialInvalid(
                f"{field.label}: this is a {said} key ({value[:8]}…); the {mode} set needs a "
                f"{mode} key.",
                field=setting,
            )


def credentials_save(
    *,
    actor: Any,
    gateway: str,
    mode: str,
    values: Mapping[str, str],
    clear: Iterable[str] = (),
) -> list[str]:
    """Store the non-empty `values` (setting → value) of `gateway`'s `mode` set and remove the
    settings in `clear`; returns the labels changed. Audited: names and "changed" only."""
    if not (actor is not None and actor.is_staff and actor.has_role(StaffRole.ADMIN)):
        raise PermissionDenied("Only an Administrator can change gateway credentials.")
    given = {name: value.strip() for name, value in values.items() if value and value.strip()}
    removed = [name for name in clear if name not in given]
    _check(gateway, mode, {**given, **dict.fromkeys(removed, "")})
    entry = BY_GATEWAY[gateway]
    changed: dict[str, str] = {}
    with transaction.atomic():
        for setting, value in given.items():
            GatewaySecret.objects.update_or_create(
                gateway=gateway,
                mode=mode,
                setting=setting,
                defaults={
                    "ciphertext": secret_encrypt(value),
                    "last_four": value[-4:] if len(value) >= 12 else "",
                    "updated_at": timezone.now(),
                    "updated_by": actor,
                },
            )
            changed[entry.field(setting).label] = "changed"
        for setting in removed:
            deleted, _ = GatewaySecret.objects.filter(
                gateway=gateway, mode=mode, setting=setting
            ).delete()
            if deleted:
                changed[entry.field(setting).label] = "removed"
        if changed:
            audit_record(
                action="gateway_credentials.update",
                actor=actor,
                before={"gateway": gateway, "mode": mode},
                after={"gateway": gateway, "mode": mode, **changed},
            )
    return list(changed)


def secrets_rotate() -> int:
    """Re-encrypt every stored credential under the first key; returns how many rows."""
    count = 0
    with transaction.atomic():
        for row in GatewaySecret.objects.select_for_update().order_by("pk"):
            row.ciphertext = secret_rotate(row.ciphertext)
            row.save(update_fields=["ciphertext"])
            count += 1
        for label, field in ENCRYPTED_COLUMNS:  # other apps' secrets (outgoing webhooks)
            model = apps.get_model(label)
            for pk, token in (
                model.objects.select_for_update().order_by("pk").values_list("pk", field)
            ):
                model.objects.filter(pk=pk).update(**{field: secret_rotate(token)})
                count += 1
    return count
