"""The `paydesk` command line: Django management commands with Paydesk's settings."""
