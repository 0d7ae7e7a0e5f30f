"""`paydesk api-keys create|revoke`: API keys for a portal user or a staff member, from a script.

Writes only through paydesk.api.services. The key is printed once, at creation, and never again.
"""

from __future__ import annotations

from typing import Any

from paydesk.accounts.models import User
from paydesk.api.models import ApiKey
from paydesk.api.services import api_key_create, api_key_revoke
from paydesk.cli.base import NotFound, PaydeskCommand

CREATE_EXAMPLE = """example:
  paydesk api-keys create --email customer@example.com --name billing-script --scopes read,pay"""


def _user(email: str) -> User:
    user = User.objects.filter(email__iexact=(email or "").strip()).first()
    if user is None:
        raise NotFound(f"No user with the email {email}.", field="email")
    return user


class Command(PaydeskCommand):
    help = "Create and revoke API keys (the key is shown once)."

    def add_actions(self, add: Any) -> None:
        create = add("create", self.create, "Create an API key for a user.", CREATE_EXAMPLE)
        create.add_argument("--email", required=True, help="the user the key acts as")
        create.add_argument("--name", required=True, help="where the key is used")
        create.add_argument(
            "--scopes", default="read", help="comma-separated: read, pay (default: read)"
        )
        revoke = add("revoke", self.revoke, "Revoke an API key at once.")
        revoke.add_argument("--prefix", required=True, help="the key's prefix (pd_<prefix>_…)")

    def create(self, options: dict[str, Any]) -> None:
        user = _user(options["email"])
        scopes = [s.strip() for s in options["scopes"].split(",") if s.strip()]
        key, plain = api_key_create(user=user, name=options["name"], scopes=scopes)
        data = {"prefix": key.prefix, "name": key.name, "scopes": key.scopes, "key": plain}
        self.emit(options, data, plain)

    def revoke(self, options: dict[str, Any]) -> None:
        key = ApiKey.objects.select_related("user").filter(prefix=options["prefix"]).first()
        if key is None:
            raise NotFound("No API key with that prefix.", field="prefix")
        api_key_revoke(key=key, actor=key.user)
        self.emit(options, {"prefix": key.prefix, "revoked": True}, f"Revoked pd_{key.prefix}_…")
