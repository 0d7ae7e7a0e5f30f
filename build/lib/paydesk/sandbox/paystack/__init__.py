"""The pretend Paystack: /transaction/initialize and /transaction/verify/<reference> as Paystack
answers them, its hosted checkout page, and the signed charge.success webhook."""
