"""Paystack transactions; webhooks signed with x-paystack-signature."""
