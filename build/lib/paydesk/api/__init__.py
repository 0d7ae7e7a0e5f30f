"""The JSON API under /api/v1/ (docs/api.md): API keys, idempotency keys, customer and staff
endpoints. Endpoints are thin: money moves only through the ledger, checkout, voucher and
bank-transfer services."""
