"""What the OpenAPI contract tests share: an httpx exchange recorded on the wire, as openapi-core's
request and response (the gateway's own server and path standing for the sandbox's URL)."""

from __future__ import annotations

import httpx
from openapi_core.testing import MockRequest, MockResponse


def as_spec_request(request: httpx.Request, *, server: str, path: str) -> MockRequest:
    """`request` as sent, addressed to `server` + `path` (the path with the sandbox's prefix
    taken off)."""
    content_type = request.headers.get("content-type", "").split(";")[0]
    return MockRequest(
        server,
        request.method.lower(),
        path,
        headers=dict(request.headers),
        args=dict(request.url.params),
        data=request.content or None,
        content_type=content_type or "application/json",
    )


def as_spec_response(response: httpx.Response) -> MockResponse:
    return MockResponse(
        response.content,
        status_code=response.status_code,
        content_type=response.headers.get("content-type", "").split(";")[0],
    )
