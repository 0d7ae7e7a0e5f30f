"""`{% stripe_panel as panel %}`: what the Stripe panel of the switches page shows."""

from django import template

from paydesk.sandbox.stripe.panel import panel_context

register = template.Library()


@register.simple_tag
def stripe_panel() -> dict:
    return panel_context()
