"""System check: PAYDESK_CREDIT_TWO_PERSON_THRESHOLD parses (`paydesk check`, every start)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core import checks
from django.core.exceptions import ImproperlyConfigured

from paydesk.credits.selectors import threshold_parse


@checks.register()
def credit_threshold_check(**kwargs: Any) -> list[checks.CheckMessage]:
    try:
        threshold_parse(settings.PAYDESK_CREDIT_TWO_PERSON_THRESHOLD)
    except ImproperlyConfigured as exc:
        return [checks.Error(str(exc), id="paydesk.E101")]
    return []
