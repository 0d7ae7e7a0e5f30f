"""The brand for every page (settings TEMPLATES' context processors, after web.context.portal)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from paydesk.provider.brand import brand_current


def brand(request: HttpRequest) -> dict[str, Any]:
    current = brand_current()
    return {"brand": current, "provider_name": current.name}
