"""Authenticator-app secrets: a new key, its base32 form and otpauth:// URI, the QR code drawn
on the server (segno, SVG, no script and nothing fetched from elsewhere), and the code at a
given time (django-otp's own TOTP, RFC 6238: SHA-1, 6 digits, 30-second steps)."""

from __future__ import annotations

import time
from base64 import b32decode, b32encode
from binascii import unhexlify

import segno
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_otp.util import random_hex

STEP = 30
DIGITS = 6
TOLERANCE = 1  # one step either side: a phone clock a little off still works


# The demo's staff share this public authenticator secret (printed by `make run`, shown on the
# demo's sign-in step; `paydesk totp-code` prints its current code). Never used outside the demo.
DEMO_TOTP_SECRET = "PAYDESKDEMOPUBLICTOTPSECRET23456"


def totp_key_new() -> str:
    """20 random bytes, hex, as django-otp stores them."""
    return random_hex(20)


def totp_secret(key_hex: str) -> str:
    """The key as the base32 text an authenticator app accepts when typed in."""
    return b32encode(unhexlify(key_hex)).decode("ascii").rstrip("=")


def totp_key_from_secret(secret: str) -> str:
    text = "".join(secret.split()).upper()
    return b32decode(text + "=" * (-len(text) % 8)).hex()


def totp_uri(*, key_hex: str, account: str) -> str:
    """The otpauth:// URI the QR code carries (issuer: the brand's name, read now through
    OTP_TOTP_ISSUER: provider/labels.py). Drawn by an unsaved TOTPDevice, never stored."""
    from django.contrib.auth import get_user_model

    user = get_user_model()(email=account)
    return TOTPDevice(user=user, key=key_hex, step=STEP, digits=DIGITS).config_url


def totp_qr_data_uri(uri: str) -> str:
    """The QR code of `uri` as an SVG data: URI for an <img> (the CSP allows img-src data:)."""
    return segno.make(uri, error="m").svg_data_uri(scale=5, border=2)


def totp_code(key_hex: str, *, at: float | None = None) -> str:
    """The code an authenticator app shows at `at` (now by default)."""
    totp = TOTP(unhexlify(key_hex), step=STEP, digits=DIGITS)
    totp.time = time.time() if at is None else at
    return f"{totp.token():0{DIGITS}d}"


def totp_match(
    key_hex: str, token: str, *, after_t: int = -1, at: float | None = None
) -> int | None:
    """The time step `token` belongs to (within the tolerance, after `after_t`), or None."""
    text = "".join((token or "").split())
    if len(text) != DIGITS or not text.isdigit():
        return None
    totp = TOTP(unhexlify(key_hex), step=STEP, digits=DIGITS)
    totp.time = time.time() if at is None else at
    if totp.verify(int(text), tolerance=TOLERANCE, min_t=after_t + 1):
        return totp.t()
    return None
