"""The test suite: SQLite file (so several connections see one database) or DATABASE_URL."""

import os
import tempfile
from pathlib import Path

from .base import *  # noqa: F403
from .base import database_config
from .sandbox import *  # noqa: F403

SECRET_KEY = "test-only-key"
DEBUG = False
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # fast; production uses Argon2
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
_tmp = (
    Path(os.environ.get("PAYDESK_TEST_TMP", tempfile.gettempdir())) / f"paydesk-test-{os.getpid()}"
)
_tmp.mkdir(parents=True, exist_ok=True)
MEDIA_ROOT = _tmp / "media"
STATIC_ROOT = _tmp / "static"
STATIC_ROOT.mkdir(exist_ok=True)
DATABASES = {"default": database_config(os.environ.get("DATABASE_URL"), _tmp / "paydesk.sqlite3")}
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    DATABASES["default"]["TEST"] = {"NAME": str(_tmp / "test-paydesk.sqlite3")}
else:
    DATABASES["default"]["CONN_MAX_AGE"] = 0
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
AXES_FAILURE_LIMIT = 5
LOGGING["root"]["level"] = "WARNING"  # noqa: F405
# Cache counts outlive a test's rolled-back ids: tests of the API rate limit set their own.
PAYDESK_API_RATE = "100000/m"
# One process runs the suite: its memory cache is shared by every thread in it, and a count
# never rolls back with a test's transaction. The tests that serve from several processes
# (tests/security/test_shared_rate_limits.py) start them with the shared caches.
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
# Passkeys at the live test server's own origin (http://localhost:<free port>).
OTP_WEBAUTHN_HELPER_CLASS = "paydesk.twofactor.webauthn.RequestHostWebAuthnHelper"

PAYDESK_OUTHOOKS_ALLOW_HTTP = True  # the tests' receivers listen on http://127.0.0.1
