"""PayPal Orders v2; webhooks signed with RSA-SHA256 (PayPal-Transmission-Sig)."""
