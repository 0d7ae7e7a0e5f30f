"""Template context shared by every page."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.utils import timezone


def portal(request: HttpRequest) -> dict[str, Any]:
    return {
        "provider_name": settings.PAYDESK_PROVIDER_NAME,
        "is_demo": settings.PAYDESK_DEMO,
        "current_time_zone": timezone.get_current_timezone_name(),
    }
