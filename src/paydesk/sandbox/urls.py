"""/sandbox/: the control page, and each pretend gateway's package mounted at /sandbox/<name>/
when it exists (paydesk/sandbox/<name>/urls.py)."""

from importlib.util import find_spec

from django.urls import include, path

from paydesk.sandbox import receiver, views
from paydesk.sandbox.core import GATEWAYS

app_name = "sandbox"


def _has_urls(name: str) -> bool:
    return (
        find_spec(f"paydesk.sandbox.{name}") is not None
        and find_spec(f"paydesk.sandbox.{name}.urls") is not None
    )


urlpatterns = [
    path("", views.control, name="control"),
    path("receiver/", receiver.receiver, name="receiver"),
    path("receiver/switch", receiver.receiver_switch, name="receiver_switch"),
    *(
        path(f"{name}/", include(f"paydesk.sandbox.{name}.urls"))
        for name in GATEWAYS
        if _has_urls(name)
    ),
]
