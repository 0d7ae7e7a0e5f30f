"""The ledger: payments, their status transitions, and each customer's running balance."""
