"""Card payments through Stripe (PaymentIntents); webhooks signed with Stripe-Signature."""
