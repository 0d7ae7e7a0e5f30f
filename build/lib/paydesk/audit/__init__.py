"""The append-only audit log of every staff action and security event."""
