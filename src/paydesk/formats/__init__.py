"""Paydesk's date formats, over Django's for the language (settings.FORMAT_MODULE_PATH)."""
