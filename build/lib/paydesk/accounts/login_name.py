"""The one normalisation of a name typed to sign in (an email address), used before both the
sign-in throttle (django-axes) and the user lookup, so that every spelling the lookup accepts is
counted as the same name.

Never compare a typed name with a stored one any other way: a lookup that accepts a spelling
this module does not map to the same name gives that spelling fresh guesses.
"""

from __future__ import annotations

from typing import Any


def login_name(value: object) -> str:
    """`  Lock1@EXAMPLE.com ` → `lock1@example.com`: surrounding spaces dropped, lower case
    (addresses are stored that way: accounts.services and UserManager.create_user)."""
    return str(value or "").strip().lower()


def axes_username(request: Any, credentials: dict[str, Any] | None = None) -> str:
    """AXES_USERNAME_CALLABLE: the name django-axes counts failures and locks under."""
    from django.conf import settings

    field = settings.AXES_USERNAME_FORM_FIELD
    if credentials:
        return login_name(credentials.get(field))
    data = getattr(request, "data", None) or getattr(request, "POST", {})
    return login_name(data.get(field))
