"""The pretend Razorpay: its Orders and Payments API, checkout.js and the checkout it opens, and
its signed webhooks (payment.captured, order.paid, payment.failed)."""
