"""WSGI entry point for gunicorn: `gunicorn paydesk.wsgi` (and Django's runserver, through
WSGI_APPLICATION). What a web server process should have ready before its first request is made
ready here, not in an app's ready(): every management command would pay for it."""

import os

from django.core.wsgi import get_wsgi_application

from paydesk.sessions.devices import device_names_prepare

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "paydesk.settings.production")
application = get_wsgi_application()
device_names_prepare()  # ua-parser's rules, built once per process before any request
