"""Bank transfer: the customer sends money to the provider's account, quoting the reference."""
