"""How both APIs read a query string: a parameter that takes one value is refused when sent
more than once (`?q=a&q=b`), with the usual 400 `invalid_request` naming it, rather than
silently answering for the last value (Django's `QueryDict[key]`) — the caller learns which of
their values was not used instead of getting a page for one they did not mean."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.datastructures import MultiValueDict
from ninja.errors import ValidationError
from ninja.parser import Parser


class OneValueParser(Parser):
    def parse_querydict(
        self, data: MultiValueDict, list_fields: list[str], request: HttpRequest
    ) -> dict[str, Any]:
        repeated = [key for key in data if key not in list_fields and len(data.getlist(key)) > 1]
        if repeated:
            raise ValidationError(
                [{"loc": ["query", key], "msg": "Send it once."} for key in repeated]
            )
        return super().parse_querydict(data, list_fields, request)
