"""Exchange rates: the table Finance keeps, the ECB import, and conversion between currencies."""
