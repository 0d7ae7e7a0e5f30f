"""Settings shared by every environment. Everything a deployment changes comes from the environment.

Never put a secret here: keys come from the environment.
"""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from paydesk.formats.en import formats as en_formats
from paydesk.provider.labels import totp_issuer
from paydesk.settings.values import Threshold, env_amount, env_fernet_keys, env_threshold

PACKAGE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("PAYDESK_VAR_DIR", Path.cwd() / "var"))


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: list[str]) -> list[str]:
    value = os.environ.get(name)
    if not value:
        return default
    return [item.strip() for item in value.split(",") if item.strip()]


def database_config(url: str | None, default_sqlite: Path) -> dict[str, Any]:
    """One database from DATABASE_URL (or a SQLite file), tuned for durable ledger writes."""
    if not url:
        url = f"sqlite:///{default_sqlite}"
    config: dict[str, Any] = dict(
        dj_database_url.parse(url, conn_max_age=int(os.environ.get("DB_CONN_MAX_AGE", "60")))
    )
    if config["ENGINE"].endswith("sqlite3"):
        # IMMEDIATE: a transaction takes the write lock when it begins, so two writers queue
        # instead of failing with "database is locked" halfway. WAL + synchronous=FULL: durable.
        config["CONN_MAX_AGE"] = 0
        config["OPTIONS"] = {
            "transaction_mode": "IMMEDIATE",
            "timeout": 30,
            "init_command": (
                "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON;"
            ),
        }
    else:
        config["CONN_HEALTH_CHECKS"] = True
        # Django's cursors bind parameters client-side and never prepare; this only lets the
        # ledger's own server-side cursor prepare its two hot statements (PAYDESK_PG_PREPARED).
        # Server-side binding for every query was tried (issue 18): PostgreSQL's generic plan
        # for the prepared Payments page query made it 3x slower at 100 k payments (bench P3),
        # and the top-up's app CPU rose by what PostgreSQL's fell (docs/decisions.md).
        config["OPTIONS"] = {"prepare_threshold": 5}
    return config


SECRET_KEY = os.environ.get("SECRET_KEY", "")
DEBUG = env_bool("DEBUG", False)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "axes",
    "paydesk.accounts",
    "paydesk.ledger",
    "paydesk.audit",
    "paydesk.portal",
    "paydesk.backoffice",
    "paydesk.cli",
    "paydesk.fx",
    "paydesk.vouchers",
    "paydesk.banktransfers",
    "paydesk.checkout",
    "paydesk.notifications",
    "paydesk.worker",
    "paydesk.api",
    "paydesk.sessions",
    "paydesk.credits",
    "paydesk.methods",
    "paydesk.imports",
    "paydesk.autotopup",
    "paydesk.provider",
    "paydesk.documents",
    "paydesk.outhooks",
    "ninja",  # its Swagger UI files, served locally (no CDN)
]

MIDDLEWARE = [
    # /health/live and /health/ready, answered before anything else (docs/deployment.md).
    "paydesk.web.health.HealthMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "paydesk.web.middleware.SecurityHeadersMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "paydesk.web.middleware.UserTimeZoneMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "paydesk.sessions.middleware.SessionPolicyMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "paydesk.urls"
WSGI_APPLICATION = "paydesk.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [PACKAGE_DIR / "web" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "paydesk.web.context.portal",
                "paydesk.accounts.context.payer",
                "paydesk.accounts.context.billing_manager",
                "paydesk.autotopup.context.low_balance",
                "paydesk.provider.context.brand",
            ],
        },
    }
]

DATABASES = {
    "default": database_config(os.environ.get("DATABASE_URL"), VAR_DIR / "paydesk.sqlite3")
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "portal:dashboard"
LOGOUT_REDIRECT_URL = "login"

# Sign-in throttling (django-axes): lock a username+IP pair after repeated failures.
# Reverse proxies in front of the app servers that append to X-Forwarded-For (0: none); the
# client's address for rate limits and the audit log is read through them (web/client_ip.py).
PAYDESK_TRUSTED_PROXIES = int(os.environ.get("PAYDESK_TRUSTED_PROXIES", "0"))
# Behind such a proxy, its X-Forwarded-Proto says whether the client came over HTTPS
# (deploy/haproxy.cfg sets it, replacing any the client sent). Without one, the header is the
# client's own and is never believed: a request over plain HTTP is not taken for HTTPS.
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if PAYDESK_TRUSTED_PROXIES else None
# Locks count an IPv6 client by its /64 (web/client_ip.py: address_scope).
AXES_CLIENT_IP_CALLABLE = "paydesk.web.client_ip.client_scope"
AXES_FAILURE_LIMIT = int(os.environ.get("PAYDESK_LOGIN_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = timedelta(minutes=int(os.environ.get("PAYDESK_LOGIN_COOLOFF_MINUTES", "15")))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
# Each password counted before it is checked; and a limit per name across every address that
# holds back a spread-out guesser but never the addresses the account signed in from before
# (accounts/signin_throttle.py).
AXES_HANDLER = "paydesk.accounts.signin_throttle.CountFirstHandler"
PAYDESK_LOGIN_USER_FAILURE_LIMIT = int(os.environ.get("PAYDESK_LOGIN_USER_FAILURE_LIMIT", "20"))
AXES_USERNAME_FORM_FIELD = "username"
# The name is counted as the user lookup matches it (strip, lower case): any spelling of one
# address shares one count (accounts/login_name.py).
AXES_USERNAME_CALLABLE = "paydesk.accounts.login_name.axes_username"
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_VERBOSE = False

# Password reset (accounts/views.py): requests per address and per client address within the
# window, counted in the shared cache; past either, nothing is sent (the same page is shown).
PAYDESK_PASSWORD_RESET_PER_ADDRESS = int(os.environ.get("PAYDESK_PASSWORD_RESET_PER_ADDRESS", "3"))
PAYDESK_PASSWORD_RESET_PER_CLIENT = int(os.environ.get("PAYDESK_PASSWORD_RESET_PER_CLIENT", "10"))
PAYDESK_PASSWORD_RESET_WINDOW = int(os.environ.get("PAYDESK_PASSWORD_RESET_WINDOW", "3600"))
# How long a reset link works, from the moment the worker sends it (Django's default: 3 days).
PASSWORD_RESET_TIMEOUT = int(os.environ.get("PAYDESK_PASSWORD_RESET_LINK_SECONDS", "3600"))
if PASSWORD_RESET_TIMEOUT < 60:
    raise ImproperlyConfigured("PAYDESK_PASSWORD_RESET_LINK_SECONDS must be 60 or more.")

LANGUAGE_CODE = "en-us"
LANGUAGES = [("en", "English")]
# Times always with their minutes ("2:00 a.m.", never "2 a.m." or "noon"), and the back office's
# short form: paydesk/formats/en; the same when no language is active (Django then reads these).
FORMAT_MODULE_PATH = ["paydesk.formats"]
DATETIME_FORMAT = en_formats.DATETIME_FORMAT
SHORT_DATETIME_FORMAT = en_formats.SHORT_DATETIME_FORMAT
LOCALE_PATHS = [PACKAGE_DIR / "locale"]
USE_I18N = True
USE_TZ = True
# The provider's time zone: the default for every portal user who has not chosen one.
TIME_ZONE = os.environ.get("PAYDESK_TIME_ZONE", "UTC")

STATIC_URL = "/static/"
STATICFILES_DIRS = [PACKAGE_DIR / "web" / "static"]  # the shared stylesheet; apps bring their own
STATIC_ROOT = Path(os.environ.get("PAYDESK_STATIC_ROOT", VAR_DIR / "static"))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
MEDIA_ROOT = Path(os.environ.get("PAYDESK_MEDIA_ROOT", VAR_DIR / "media"))

# The cache rate limits count in (vouchers, the API, password reset) must be shared by every
# process that serves: Redis when REDIS_URL is set, otherwise the database (web/cache.py; its
# table is made by `migrate`). PAYDESK_CACHE=memory keeps it in each process's memory: only for
# a single process (production.py refuses it).
PAYDESK_CACHE = os.environ.get("PAYDESK_CACHE") or (
    "redis" if os.environ.get("REDIS_URL") else "database"
)
CACHES: dict[str, dict[str, Any]]
if PAYDESK_CACHE == "redis":
    CACHES = {
        "default": {
            "BACKEND": "paydesk.web.cache.RedisCache",  # Django's, reusing its clients
            "LOCATION": os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0"),
        }
    }
elif PAYDESK_CACHE == "database":
    CACHES = {
        "default": {
            "BACKEND": "paydesk.web.cache.DatabaseCache",
            "LOCATION": "paydesk_cache",
            # Only expired entries are ever culled (web/cache.py): this evicts nothing live.
            "OPTIONS": {"MAX_ENTRIES": 10000},
        }
    }
elif PAYDESK_CACHE == "memory":
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
else:
    raise ImproperlyConfigured(
        f"PAYDESK_CACHE must be redis, database or memory, not {PAYDESK_CACHE!r}."
    )

# Email: SMTP when EMAIL_HOST is set, otherwise printed to the console.
EMAIL_HOST = os.environ.get("EMAIL_HOST", "")
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "25"))
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL", False)
EMAIL_TIMEOUT = int(os.environ.get("EMAIL_TIMEOUT", "30"))  # seconds; a hung server is a failure
EMAIL_BACKEND = (
    "django.core.mail.backends.smtp.EmailBackend"
    if EMAIL_HOST
    else "django.core.mail.backends.console.EmailBackend"
)
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "Paydesk <payments@localhost>")
# The email outbox (docs/worker.md): attempts per message, and the first retry delay (doubling).
PAYDESK_EMAIL_MAX_ATTEMPTS = int(os.environ.get("PAYDESK_EMAIL_MAX_ATTEMPTS", "8"))
PAYDESK_EMAIL_RETRY_SECONDS = int(os.environ.get("PAYDESK_EMAIL_RETRY_SECONDS", "60"))
# A message claimed by a sender that died (a killed worker) is tried again after this long.
PAYDESK_EMAIL_SEND_LEASE_SECONDS = int(os.environ.get("PAYDESK_EMAIL_SEND_LEASE_SECONDS", "300"))
# A worker job whose run died (a killed worker) may be taken over after this long; unset: each
# job's own lease (paydesk/worker/jobs.py). Must be longer than the job's longest run.
PAYDESK_WORKER_LEASE_SECONDS = int(os.environ.get("PAYDESK_WORKER_LEASE_SECONDS", "0"))
# Outgoing webhooks (docs/outgoing-webhooks.md).
PAYDESK_OUTHOOKS_TIMEOUT = float(os.environ.get("PAYDESK_OUTHOOKS_TIMEOUT", "10"))
PAYDESK_OUTHOOKS_RETRY_SECONDS = int(os.environ.get("PAYDESK_OUTHOOKS_RETRY_SECONDS", "30"))
PAYDESK_OUTHOOKS_RETRY_DAYS = float(os.environ.get("PAYDESK_OUTHOOKS_RETRY_DAYS", "3"))
PAYDESK_OUTHOOKS_CLAIM_SECONDS = int(os.environ.get("PAYDESK_OUTHOOKS_CLAIM_SECONDS", "120"))
PAYDESK_OUTHOOKS_PAUSE_AFTER_HOURS = float(
    os.environ.get("PAYDESK_OUTHOOKS_PAUSE_AFTER_HOURS", "24")
)
PAYDESK_OUTHOOKS_PAUSE_MIN_FAILURES = int(
    os.environ.get("PAYDESK_OUTHOOKS_PAUSE_MIN_FAILURES", "5")
)
PAYDESK_OUTHOOKS_ALLOW_HTTP = env_bool("PAYDESK_OUTHOOKS_ALLOW_HTTP", False)  # the demo's
# Endpoints at internal addresses (loopback, private, link-local…: outhooks/addresses.py) are
# refused unless this is on: the demo's and a developer's receivers on this machine.
PAYDESK_OUTHOOKS_ALLOW_PRIVATE = env_bool("PAYDESK_OUTHOOKS_ALLOW_PRIVATE", False)
# Delivered events (their deliveries and attempts) are purged this many days after they were
# written (the worker's outhooks-purge job); replay reaches back this far.
PAYDESK_OUTHOOKS_KEEP_DAYS = float(os.environ.get("PAYDESK_OUTHOOKS_KEEP_DAYS", "30"))
if not PAYDESK_OUTHOOKS_KEEP_DAYS >= 1:
    raise ImproperlyConfigured("PAYDESK_OUTHOOKS_KEEP_DAYS must be 1 day or more.")

# Cookies and headers (production tightens these further).
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE = env_bool("PAYDESK_SECURE_COOKIES", True)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
# Staff sessions end after this many minutes without a request, and this many hours after
# signing in whatever the activity (paydesk.sessions). Portal users keep SESSION_COOKIE_AGE.
PAYDESK_STAFF_SESSION_IDLE_MINUTES = int(os.environ.get("PAYDESK_STAFF_SESSION_IDLE_MINUTES", "30"))
PAYDESK_STAFF_SESSION_MAX_HOURS = int(os.environ.get("PAYDESK_STAFF_SESSION_MAX_HOURS", "12"))

# Paydesk itself.
PAYDESK_PROVIDER_NAME = os.environ.get("PAYDESK_PROVIDER_NAME", "Paydesk Telecom")
PAYDESK_DEMO = False
PAYDESK_PAGE_SIZE = int(os.environ.get("PAYDESK_PAGE_SIZE", "50"))
# A conversion uses the newest rate at most this many days old (covers weekends and holidays).
PAYDESK_FX_MAX_AGE_DAYS = int(os.environ.get("PAYDESK_FX_MAX_AGE_DAYS", "4"))
# Vouchers (§7). Codes are stored only as an HMAC-SHA256 keyed by PAYDESK_VOUCHER_KEY; without it
# the key is derived from SECRET_KEY (then rotating SECRET_KEY voids every unredeemed code).
PAYDESK_VOUCHER_KEY = os.environ.get("PAYDESK_VOUCHER_KEY", "")
# Failed redemptions allowed per user, per customer and per IP address within the window.
PAYDESK_VOUCHER_FAILURE_LIMIT = int(os.environ.get("PAYDESK_VOUCHER_FAILURE_LIMIT", "5"))
PAYDESK_VOUCHER_FAILURE_WINDOW = int(os.environ.get("PAYDESK_VOUCHER_FAILURE_WINDOW", "900"))

# API (docs/api.md): requests per API key (or signed-in user) and period, e.g. "600/m".
PAYDESK_API_RATE = os.environ.get("PAYDESK_API_RATE", "600/m")
# Webhooks whose signature did not verify: at most this many per gateway and minute are kept in
# the payment log; the rest are counted in the WARNING log line only (docs/webhooks.md).
PAYDESK_WEBHOOK_UNVERIFIED_PER_MINUTE = int(
    os.environ.get("PAYDESK_WEBHOOK_UNVERIFIED_PER_MINUTE", "10")
)
# Bank transfers (§6): completing a credit above this amount (in the account currency) needs two
# different Finance users; pending transfers older than the expiry are cancelled; proofs of
# payment (PDF, PNG, JPEG) are at most this many bytes.
# The thresholds: a Decimal, a values.Threshold (read `.of(currency)`); a bad one stops the start.
PAYDESK_TRANSFER_TWO_PERSON_THRESHOLD = env_amount("PAYDESK_TRANSFER_TWO_PERSON_THRESHOLD", "1000")
# Four eyes on manual credits (docs/backoffice.md): a completed credit staff enter above this
# (account currency; by default the bank transfers' threshold; `1000,JPY=150000` names other
# amounts per currency) waits pending for a second Finance user.
PAYDESK_CREDIT_TWO_PERSON_THRESHOLD = env_threshold(
    "PAYDESK_CREDIT_TWO_PERSON_THRESHOLD", default=Threshold(PAYDESK_TRANSFER_TWO_PERSON_THRESHOLD)
)
# Automatic top-up and low-balance alerts (docs/autotopup.md): a top-up left "charging" this long
# (a worker that died mid-charge) is resumed with the same idempotency key; the low-balance alert
# every customer gets until they choose their own (available credit, account currency), and the
# margin above it the balance must climb back to before it warns again.
PAYDESK_AUTOTOPUP_RESUME_SECONDS = int(os.environ.get("PAYDESK_AUTOTOPUP_RESUME_SECONDS", "120"))
PAYDESK_LOW_BALANCE_DEFAULT = os.environ.get("PAYDESK_LOW_BALANCE_DEFAULT", "10")
PAYDESK_LOW_BALANCE_MARGIN = os.environ.get("PAYDESK_LOW_BALANCE_MARGIN", "5")
PAYDESK_TRANSFER_EXPIRY_DAYS = int(os.environ.get("PAYDESK_TRANSFER_EXPIRY_DAYS", "14"))
PAYDESK_PROOF_MAX_BYTES = int(os.environ.get("PAYDESK_PROOF_MAX_BYTES", str(5 * 1024 * 1024)))
# PostgreSQL: the ledger's two hot statements are prepared once per connection (docs/decisions.md).
# Turn off behind a pooler that cannot keep prepared statements (PgBouncer < 1.21, transaction
# pooling).
PAYDESK_PG_PREPARED = env_bool("PAYDESK_PG_PREPARED", True)
# Make Payment (§5): the gateway of each method, by dotted path (a method without one is never
# offered), and how long a locked quote holds.
PAYDESK_GATEWAYS = {  # in the order Pay via lists them (spec §5)
    "bank_transfer": "paydesk.gateways.bank_transfer.gateway.BankTransferGateway",
    "paypal": "paydesk.gateways.paypal.gateway.PayPalGateway",
    "card": "paydesk.gateways.stripe.gateway.StripeCardGateway",
    # Offered only with a saved mandate (Make Payment's saved methods; docs/methods.md).
    "sepa_debit": "paydesk.gateways.stripe.gateway.StripeSepaGateway",
    "razorpay": "paydesk.gateways.razorpay.gateway.RazorpayGateway",
    "paystack": "paydesk.gateways.paystack.gateway.PaystackGateway",
    "nowpayments": "paydesk.gateways.nowpayments.gateway.NowPaymentsGateway",
    "voucher": "paydesk.gateways.voucher.gateway.VoucherGateway",
}
PAYDESK_QUOTE_MINUTES = int(os.environ.get("PAYDESK_QUOTE_MINUTES", "30"))
# Gateway webhooks at /webhooks/<gateway>/ (docs/webhooks.md): the secret each signature is
# checked with. Read through gateways/credentials.py: the environment wins, else the back
# office's encrypted store (docs/provider-settings.md); never logged. An empty one refuses every
# notification of that gateway.
PAYDESK_STRIPE_WEBHOOK_SECRET = os.environ.get("PAYDESK_STRIPE_WEBHOOK_SECRET", "")
PAYDESK_RAZORPAY_WEBHOOK_SECRET = os.environ.get("PAYDESK_RAZORPAY_WEBHOOK_SECRET", "")
PAYDESK_PAYSTACK_SECRET_KEY = os.environ.get("PAYDESK_PAYSTACK_SECRET_KEY", "")
PAYDESK_NOWPAYMENTS_IPN_SECRET = os.environ.get("PAYDESK_NOWPAYMENTS_IPN_SECRET", "")
PAYDESK_PAYPAL_WEBHOOK_ID = os.environ.get("PAYDESK_PAYPAL_WEBHOOK_ID", "")
# PayPal signs with the certificate at PAYPAL-CERT-URL: only https URLs on these hosts count.
PAYDESK_PAYPAL_CERT_HOSTS = env_list(
    "PAYDESK_PAYPAL_CERT_HOSTS",
    ["api.paypal.com", "api-m.paypal.com", "api.sandbox.paypal.com", "api-m.sandbox.paypal.com"],
)
# What fetches that certificate (dotted path to a callable url -> PEM bytes); the sandbox and
# the tests name their own.
PAYDESK_PAYPAL_CERT_FETCHER = "paydesk.gateways.paypal.webhooks.certificate_fetch"

# Online gateways (docs/gateways.md). Keys and secrets from the environment, else the back
# office's encrypted store for the method's mode (gateways/credentials.py); an API base left
# empty means the gateway's live API, or the sandbox when it is on.
PAYDESK_PUBLIC_URL = os.environ.get("PAYDESK_PUBLIC_URL", "http://127.0.0.1:8000")
PAYDESK_SANDBOX = env_bool("PAYDESK_SANDBOX", False)
if PAYDESK_SANDBOX:  # the sandbox's app (its tables, its pages) only where it is on
    INSTALLED_APPS = [*INSTALLED_APPS, "paydesk.sandbox"]
PAYDESK_GATEWAY_TIMEOUT = int(os.environ.get("PAYDESK_GATEWAY_TIMEOUT", "10"))
PAYDESK_GATEWAY_RECORDER = "paydesk.checkout.events.gateway_exchange_record"
# Every gateway credential is read through this (gateways/credentials.py): the environment wins,
# then the back office's encrypted store for the method's mode (docs/provider-settings.md).
PAYDESK_CREDENTIAL_RESOLVER = "paydesk.checkout.credentials.credential_resolve"
# Fernet keys that encrypt those stored credentials, the first one encrypting; empty: one key
# derived from SECRET_KEY. `paydesk rotate-secrets-key` re-encrypts under the first.
PAYDESK_SECRETS_KEYS = env_fernet_keys("PAYDESK_SECRETS_KEYS")
# Reconciliation: a gateway payment still pending this long after it started is asked about
# again; one never started or paid at its gateway is cancelled as abandoned after the second.
PAYDESK_RECONCILE_AFTER_MINUTES = int(os.environ.get("PAYDESK_RECONCILE_AFTER_MINUTES", "15"))
# A reconciliation run starts no new question after this long: shorter than the job's lease
# (worker/jobs.py, 15 minutes), so a slow gateway never has two runs asking at once.
PAYDESK_RECONCILE_RUN_SECONDS = int(os.environ.get("PAYDESK_RECONCILE_RUN_SECONDS", "600"))
PAYDESK_ABANDON_AFTER_MINUTES = int(os.environ.get("PAYDESK_ABANDON_AFTER_MINUTES", "90"))
# After an online payment is cancelled, reconciliation keeps asking its gateway (at most once per
# PAYDESK_LATE_CHECK_EVERY_MINUTES) for this long, so money the gateway confirms later (a late
# authorisation, an invoice paid again) is credited even when no webhook says so.
PAYDESK_LATE_WATCH_HOURS = int(os.environ.get("PAYDESK_LATE_WATCH_HOURS", "48"))
PAYDESK_LATE_CHECK_EVERY_MINUTES = int(os.environ.get("PAYDESK_LATE_CHECK_EVERY_MINUTES", "60"))
PAYDESK_STRIPE_SECRET_KEY = os.environ.get("PAYDESK_STRIPE_SECRET_KEY", "")
PAYDESK_STRIPE_PUBLISHABLE_KEY = os.environ.get("PAYDESK_STRIPE_PUBLISHABLE_KEY", "")
PAYDESK_STRIPE_API_BASE = os.environ.get("PAYDESK_STRIPE_API_BASE", "")
PAYDESK_STRIPE_JS_URL = os.environ.get("PAYDESK_STRIPE_JS_URL", "")
PAYDESK_PAYPAL_CLIENT_ID = os.environ.get("PAYDESK_PAYPAL_CLIENT_ID", "")
PAYDESK_PAYPAL_CLIENT_SECRET = os.environ.get("PAYDESK_PAYPAL_CLIENT_SECRET", "")
PAYDESK_PAYPAL_API_BASE = os.environ.get("PAYDESK_PAYPAL_API_BASE", "")
PAYDESK_RAZORPAY_KEY_ID = os.environ.get("PAYDESK_RAZORPAY_KEY_ID", "")
PAYDESK_RAZORPAY_KEY_SECRET = os.environ.get("PAYDESK_RAZORPAY_KEY_SECRET", "")
PAYDESK_RAZORPAY_API_BASE = os.environ.get("PAYDESK_RAZORPAY_API_BASE", "")
PAYDESK_RAZORPAY_CHECKOUT_JS_URL = os.environ.get("PAYDESK_RAZORPAY_CHECKOUT_JS_URL", "")
PAYDESK_PAYSTACK_API_BASE = os.environ.get("PAYDESK_PAYSTACK_API_BASE", "")
PAYDESK_NOWPAYMENTS_API_KEY = os.environ.get("PAYDESK_NOWPAYMENTS_API_KEY", "")
PAYDESK_NOWPAYMENTS_API_BASE = os.environ.get("PAYDESK_NOWPAYMENTS_API_BASE", "")
# NOWPayments lists an invoice's payments (reconciliation) only with a JWT from POST /v1/auth,
# which takes the NOWPayments account's email and password.
PAYDESK_NOWPAYMENTS_EMAIL = os.environ.get("PAYDESK_NOWPAYMENTS_EMAIL", "")
PAYDESK_NOWPAYMENTS_PASSWORD = os.environ.get("PAYDESK_NOWPAYMENTS_PASSWORD", "")

LOGGING: dict[str, Any] = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": os.environ.get("PAYDESK_LOG_LEVEL", "INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        "apscheduler": {"level": "WARNING"},  # the worker logs each job run itself
    },
}

# --- Two-factor sign-in (docs/twofactor.md) ------------------------------------------------
# django-otp (authenticator apps), django-otp-webauthn (passkeys) and Paydesk's own hashed
# recovery codes. Staff pass a second factor before any back-office page or staff API key;
# portal users may set one up. Kept in one block so the apps and middleware it adds are seen
# together.
INSTALLED_APPS += [
    "django_otp",
    # Its TOTPDevice table stays empty: authenticator apps are twofactor.AuthenticatorDevice
    # (secret encrypted); installed for migration twofactor.0003, which moved the rows.
    "django_otp.plugins.otp_totp",
    "django_otp_webauthn",
    "paydesk.twofactor",
]
# After AuthenticationMiddleware: django-otp marks the session's user verified (or not), then
# Paydesk sends whoever still owes a second factor to it.
MIDDLEWARE.insert(
    MIDDLEWARE.index("django.contrib.auth.middleware.AuthenticationMiddleware") + 1,
    "django_otp.middleware.OTPMiddleware",
)
MIDDLEWARE.insert(
    MIDDLEWARE.index("django_otp.middleware.OTPMiddleware") + 1,
    "paydesk.twofactor.middleware.SecondFactorRequiredMiddleware",
)
# Staff roles that must use a second factor. Administrators and Finance always do (the code
# adds them whatever this says); leave `support` out to make it optional for Support.
PAYDESK_2FA_REQUIRED_ROLES = env_list("PAYDESK_2FA_REQUIRED_ROLES", ["admin", "finance", "support"])
# Wrong second-factor answers in a row (codes of any kind, failed passkeys) before that user's
# second factor is refused for PAYDESK_2FA_LOCKOUT_MINUTES.
PAYDESK_2FA_FAILURE_LIMIT = int(os.environ.get("PAYDESK_2FA_FAILURE_LIMIT", "5"))
PAYDESK_2FA_LOCKOUT_MINUTES = int(os.environ.get("PAYDESK_2FA_LOCKOUT_MINUTES", "15"))
# Staff who must use a second factor and have none may set up the first one with their password
# alone this long after their account was made or an Administrator reset their factors; later,
# an Administrator allows it again (docs/twofactor.md).
PAYDESK_2FA_SETUP_HOURS = int(os.environ.get("PAYDESK_2FA_SETUP_HOURS", "72"))
# The authenticator app's issuer and the passkey's relying-party name follow the brand's name
# (else PAYDESK_PROVIDER_NAME), read when a secret or a passkey is made (provider/labels.py).
OTP_TOTP_ISSUER = totp_issuer
# The per-user lock above counts every factor; django-otp's own per-device back-off would only
# make a mistyped code wait on top of it.
OTP_TOTP_THROTTLE_FACTOR = 0
# Passkeys are a second factor only, bound to Paydesk's public host name and origin (https;
# a browser refuses passkeys on a bare IP address, so the local default 127.0.0.1 becomes
# localhost).
_public = urlsplit(PAYDESK_PUBLIC_URL)
_public_host = (
    "localhost" if _public.hostname in (None, "127.0.0.1", "::1") else str(_public.hostname)
)
OTP_WEBAUTHN_ALLOW_PASSWORDLESS_LOGIN = False
OTP_WEBAUTHN_RP_NAME = PAYDESK_PROVIDER_NAME  # read only when the callable below is unset
OTP_WEBAUTHN_RP_NAME_CALLABLE = "paydesk.provider.labels.passkey_rp_name"
OTP_WEBAUTHN_RP_ID = os.environ.get("PAYDESK_WEBAUTHN_RP_ID") or _public_host
OTP_WEBAUTHN_ALLOWED_ORIGINS = env_list(
    "PAYDESK_WEBAUTHN_ORIGINS",
    [f"{_public.scheme}://{_public_host}" + (f":{_public.port}" if _public.port else "")],
)
OTP_WEBAUTHN_EXCEPTION_LOGGER_NAME = "paydesk.twofactor.webauthn"
