"""The names an authenticator app and a passkey prompt show for Paydesk: the brand's name (the
back office's Brand), else PAYDESK_PROVIDER_NAME. Read each time a secret's QR code is drawn or
a passkey ceremony begins, so a renamed brand labels the next enrolment. Authenticators already
enrolled keep working: the issuer and the relying party's name are only labels (the secret and
the relying party's ID, the host name, do not change).

Named in settings (OTP_TOTP_ISSUER, OTP_WEBAUTHN_RP_NAME_CALLABLE), so nothing is imported here
until a label is asked for. Here in `provider`, not in `twofactor`, which sits below it.
"""

from __future__ import annotations

from typing import Any


def brand_label() -> str:
    from paydesk.provider.brand import brand_current

    return brand_current().name


def totp_issuer(device: Any = None) -> str:
    """django-otp's OTP_TOTP_ISSUER, called with the device whose otpauth:// URI it writes."""
    return brand_label()


def passkey_rp_name(request: Any = None) -> str:
    """django-otp-webauthn's OTP_WEBAUTHN_RP_NAME_CALLABLE, called with the ceremony's request."""
    return brand_label()
