"""Paydesk: the payments desk of a telecom carrier's customer portal."""
