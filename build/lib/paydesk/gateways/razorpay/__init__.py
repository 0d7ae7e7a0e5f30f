"""Razorpay orders and checkout; webhooks signed with X-Razorpay-Signature."""
