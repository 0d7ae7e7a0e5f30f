"""Local development: SQLite file under ./var, console email, cookies over plain HTTP."""

import os

from .base import *  # noqa: F403
from .base import VAR_DIR, env_bool

SECRET_KEY = os.environ.get("SECRET_KEY") or "dev-only-insecure-key-never-use-in-production"
DEBUG = env_bool("DEBUG", True)
SESSION_COOKIE_SECURE = env_bool("PAYDESK_SECURE_COOKIES", False)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
VAR_DIR.mkdir(parents=True, exist_ok=True)
# Passkeys at whatever host you browse (use http://localhost:8000: browsers refuse passkeys on
# a bare IP address).
OTP_WEBAUTHN_HELPER_CLASS = "paydesk.twofactor.webauthn.RequestHostWebAuthnHelper"

PAYDESK_OUTHOOKS_ALLOW_HTTP = env_bool("PAYDESK_OUTHOOKS_ALLOW_HTTP", True)  # local receivers
PAYDESK_OUTHOOKS_ALLOW_PRIVATE = env_bool("PAYDESK_OUTHOOKS_ALLOW_PRIVATE", True)
