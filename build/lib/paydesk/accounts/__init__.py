"""Customers (the accounts money is kept for), portal users and staff roles."""
