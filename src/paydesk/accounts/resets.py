"""A reset of someone's credentials: their password set from an emailed reset link or by an
Administrator, or their second factors reset by an Administrator. Whoever held the old
credentials may have left something behind, so what they opened goes too: the apps that own it
connect to `credentials_reset` (their AppConfig.ready()) and act inside the reset's transaction,
without this app importing theirs — the API keys are revoked (api), every session of the user
ends (sessions). A change of one's own password (the old one typed, in a signed-in session)
is not a reset: the API keys stay, the other sessions end (sessions/services.py).
"""

from __future__ import annotations

from typing import Any

from django.dispatch import Signal

PASSWORD_RESET = "password reset"  # from the emailed link
PASSWORD_SET = "password set by an Administrator"
TWO_FACTOR_RESET = "two-factor sign-in reset by an Administrator"

# Sent with user=, actor= (the user themselves for a reset link), reason= (one of the above)
# and ip_address=; receivers run inside the reset's transaction.
credentials_reset = Signal()


def credentials_reset_announce(
    *, user: Any, actor: Any, reason: str, ip_address: str | None = None
) -> None:
    """Tell every app that `user`'s credentials were reset; call inside the reset's
    transaction, so that the reset and what follows it happen together or not at all."""
    credentials_reset.send(
        sender=type(user), user=user, actor=actor, reason=reason, ip_address=ip_address
    )
