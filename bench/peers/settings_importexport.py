"""Django settings for the django-import-export peer of P4: Paydesk's own settings (same
database, same models) plus import_export, so it exports exactly the rows Paydesk exports."""

from paydesk.settings.dev import *  # noqa: F403
from paydesk.settings.dev import INSTALLED_APPS

INSTALLED_APPS = [*INSTALLED_APPS, "import_export"]
# Not IMPORT_EXPORT_ESCAPE_FORMULAE_ON_EXPORT: it strips a leading "=" instead of neutralising
# it, and rebuilds the dataset row by row with list.pop(0) (quadratic on a million rows). The
# resource below applies Paydesk's escaping itself, per cell.
