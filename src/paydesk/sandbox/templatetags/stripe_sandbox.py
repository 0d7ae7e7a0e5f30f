"""`{% stripe_panel as panel %}`, `{% stripe_sepa_panel as sepa %}`: what the Stripe panels of the
switches page show."""

from django import template

from paydesk.sandbox.stripe.panel import panel_context
from paydesk.sandbox.stripe.sepa import sepa_panel_context

register = template.Library()


@register.simple_tag
def stripe_panel() -> dict:
    return panel_context()


@register.simple_tag
def stripe_sepa_panel() -> dict:
    return sepa_panel_context()
