"""Saved payment methods (issue 14): a Stripe Customer per Paydesk customer, cards and SEPA
mandates saved with SetupIntents in Stripe's own fields, listed from Stripe (docs/methods.md)."""
