"""The staff back office, built on the Django admin; money moves only through services."""
