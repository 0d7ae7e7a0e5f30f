"""The offline demo (`paydesk demo`, `make run`): a fresh SQLite file, plain HTTP, sandbox gateways.

Production never imports this module; production.py refuses to start in demo mode.
"""

import os

from .base import *  # noqa: F403
from .base import EMAIL_BACKEND, VAR_DIR, database_config, env_bool
from .sandbox import *  # noqa: F403

SECRET_KEY = os.environ.get("SECRET_KEY") or "demo-only-insecure-key-never-use-in-production"
DEBUG = env_bool("DEBUG", False)
SESSION_COOKIE_SECURE = False
CSRF_COOKIE_SECURE = False
PAYDESK_DEMO = True
PAYDESK_OUTHOOKS_ALLOW_HTTP = True  # the demo's endpoint is the sandbox's receiver
PAYDESK_OUTHOOKS_ALLOW_PRIVATE = True  # …on this machine (localhost)
DATABASES = {"default": database_config(os.environ.get("DATABASE_URL"), VAR_DIR / "demo.sqlite3")}
VAR_DIR.mkdir(parents=True, exist_ok=True)
# Passkeys at whatever host the demo is browsed at (http://localhost:<port>: a browser refuses
# passkeys on a bare IP address such as 127.0.0.1). Production names its host instead.
OTP_WEBAUTHN_HELPER_CLASS = "paydesk.twofactor.webauthn.RequestHostWebAuthnHelper"
# One line per email on the console, the message itself in var/demo-emails/ (issue 13).
if EMAIL_BACKEND.endswith("console.EmailBackend"):  # noqa: F405 (no EMAIL_HOST set)
    EMAIL_BACKEND = "paydesk.notifications.demo_email.OneLineEmailBackend"
