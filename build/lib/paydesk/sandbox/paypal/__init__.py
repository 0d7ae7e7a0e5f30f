"""The pretend PayPal at /sandbox/paypal/: OAuth tokens, Orders v2, the approval page and signed
webhooks (docs/gateways/paypal.md)."""
