"""The customer portal: dashboard, the Payments page, CSV download, preferences."""
