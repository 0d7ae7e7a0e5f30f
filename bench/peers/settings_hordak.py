"""Django settings for the django-hordak peer of P1: only what hordak needs, on its own
PostgreSQL database (HORDAK_DATABASE_URL), never Paydesk's. Hordak does not support SQLite."""

import os

import dj_database_url

SECRET_KEY = "bench-only-not-secret"
DEBUG = False
USE_TZ = True
TIME_ZONE = "UTC"
INSTALLED_APPS = [
    "django.contrib.contenttypes",
    "django.contrib.auth",
    "mptt",
    "djmoney",
    "hordak",
]
DATABASES = {"default": dj_database_url.parse(os.environ["HORDAK_DATABASE_URL"])}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
DEFAULT_CURRENCY = "USD"
HORDAK_CURRENCIES = ["USD"]
CURRENCIES = ["USD"]
