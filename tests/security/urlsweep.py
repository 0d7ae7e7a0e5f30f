"""Walk the URL configuration, so that a sweep covers every URL — including ones added later."""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.urls import Resolver404, URLPattern, URLResolver, get_resolver, resolve


@dataclass(frozen=True)
class Route:
    regex: str  # the full pattern, joined from every level
    name: str
    kwargs: tuple[str, ...]

    @property
    def is_backoffice(self) -> bool:
        return self.regex.startswith("backoffice/")

    @property
    def is_customer_facing(self) -> bool:
        """Served to portal users: not the back office, the sandbox, the staff or ConnexCS API,
        nor the gateways' webhooks."""
        return not self.regex.startswith(
            ("backoffice/", "sandbox/", "api/v1/staff/", "api/cp/", "webhooks/")
        )

    @property
    def names_a_payment(self) -> bool:
        """Its path names one payment (by reference): it may show that payment."""
        return self.is_customer_facing and "reference" in self.kwargs

    @property
    def is_sandbox_api(self) -> bool:
        """A pretend gateway's API (sandbox.core.sandbox_api: CSRF-exempt, called by servers with
        the gateway's key, as the real API is); the sandbox is never mounted in production."""
        if not self.regex.startswith("sandbox/"):
            return False
        try:
            return bool(getattr(resolve(self.path({})).func, "csrf_exempt", False))
        except Resolver404:  # an id placeholder its own pattern refuses: a gateway id route
            return True

    def path(self, values: dict[str, str]) -> str:
        """A concrete path: each named group replaced by values[name] (or '1')."""
        out = re.sub(
            r"\(\?P<(\w+)>[^()]*(?:\([^()]*\)[^()]*)*\)",
            lambda m: values.get(m.group(1), "1"),
            self.regex,
        )
        out = out.replace("\\Z", "").replace("\\.", ".").replace("\\-", "-").lstrip("^")
        out = re.sub(r"[$^]", "", out)
        return "/" + out


def _regex(pattern: object) -> str:
    regex = pattern.regex.pattern  # type: ignore[attr-defined]
    return regex[1:] if regex.startswith("^") else regex


def routes() -> list[Route]:
    found: list[Route] = []

    def walk(resolver: URLResolver, prefix: str, namespace: str) -> None:
        for entry in resolver.url_patterns:
            if isinstance(entry, URLResolver):
                ns = entry.namespace or namespace
                walk(entry, prefix + _regex(entry.pattern), ns)
            elif isinstance(entry, URLPattern):
                full = prefix + _regex(entry.pattern)
                name = (
                    f"{namespace}:{entry.name}" if namespace and entry.name else (entry.name or "")
                )
                kwargs = tuple(re.findall(r"\(\?P<(\w+)>", full))
                found.append(Route(full, name, kwargs))

    walk(get_resolver(), "", "")
    return found
