"""Vouchers as a Make Payment method (the engine is paydesk.vouchers)."""
