"""Production: PostgreSQL, secrets from the environment, HTTPS-only cookies, no demo, no sandbox."""

import os

from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F403
from .base import env_bool

if not os.environ.get("SECRET_KEY"):
    raise ImproperlyConfigured("SECRET_KEY must be set in production.")
if not os.environ.get("DATABASE_URL"):
    raise ImproperlyConfigured("DATABASE_URL must be set in production (PostgreSQL).")
if env_bool("PAYDESK_DEMO", False):
    raise ImproperlyConfigured("The demo can never run with production settings.")
if env_bool("PAYDESK_SANDBOX", False):
    raise ImproperlyConfigured("The gateway sandbox can never run with production settings.")

# Rate limits (vouchers, the API, password reset) must hold across every worker and server: a
# cache kept in one process's memory would give each its own count.
PROCESS_LOCAL_CACHES = (
    "django.core.cache.backends.locmem.LocMemCache",
    "django.core.cache.backends.dummy.DummyCache",
)
if CACHES["default"]["BACKEND"] in PROCESS_LOCAL_CACHES:  # noqa: F405
    raise ImproperlyConfigured(
        "A process-local cache (locmem, dummy; PAYDESK_CACHE=memory) cannot count rate limits "
        "across processes: set REDIS_URL, or keep the database cache."
    )

DEBUG = False
PAYDESK_DEMO = False
PAYDESK_SANDBOX = False
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SECURE_SSL_REDIRECT = env_bool("PAYDESK_SSL_REDIRECT", True)
SECURE_HSTS_SECONDS = int(os.environ.get("PAYDESK_HSTS_SECONDS", "31536000"))
# Off by default: it would commit every subdomain of the portal's domain to HTTPS for a year.
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("PAYDESK_HSTS_INCLUDE_SUBDOMAINS", False)
# Outgoing webhooks go to https:// receivers only (PAYDESK_OUTHOOKS_ALLOW_PRIVATE may still
# admit a receiver on the provider's own network, explicitly).
PAYDESK_OUTHOOKS_ALLOW_HTTP = False
