"""The sandbox's Stripe: PaymentMethods, PaymentIntents, the card-fields frame, a 3-D Secure
challenge page, Stripe.js's stand-in and signed webhooks (mounted at /sandbox/stripe/)."""
