"""/sandbox/: the control page, and each pretend gateway's package mounted at /sandbox/<name>/
when it exists (paydesk/sandbox/<name>/urls.py). Every path below is staff only unless it is
marked `without_sign_in` where it is written (paydesk.sandbox.access)."""

from importlib.util import find_spec

from django.urls import include, path

from paydesk.sandbox import receiver, views
from paydesk.sandbox.access import staff_unless_open, without_sign_in
from paydesk.sandbox.core import GATEWAYS

app_name = "sandbox"


def _has_urls(name: str) -> bool:
    return (
        find_spec(f"paydesk.sandbox.{name}") is not None
        and find_spec(f"paydesk.sandbox.{name}.urls") is not None
    )


urlpatterns = staff_unless_open(
    [
        path("", views.control, name="control"),
        # Paydesk posts its signed webhooks here; the page of what arrived (GET) is for staff.
        *without_sign_in(path("receiver/", receiver.receiver, name="receiver"), methods=["POST"]),
        path("receiver/switch", receiver.receiver_switch, name="receiver_switch"),
        *(
            path(f"{name}/", include(f"paydesk.sandbox.{name}.urls"))
            for name in GATEWAYS
            if _has_urls(name)
        ),
    ]
)
