"""Make Payment (spec §5): per-method configuration, quotes, the payment log, and applying
gateway events to payments. Money moves only through paydesk.ledger.services."""
