"""The `paydesk` console script: Django's management commands with Paydesk's settings.

`paydesk check-balances` runs the `check_balances` command; `paydesk demo` always runs with the
demo settings; everything else uses DJANGO_SETTINGS_MODULE (default: paydesk.settings.dev).
"""

from __future__ import annotations

import os
import sys


def main(argv: list[str] | None = None) -> None:
    argv = list(sys.argv if argv is None else argv)
    argv[0] = "paydesk"
    if len(argv) > 1 and not argv[1].startswith("-"):
        argv[1] = argv[1].replace("-", "_")
    if len(argv) > 1 and argv[1] == "demo":
        os.environ["DJANGO_SETTINGS_MODULE"] = "paydesk.settings.demo"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "paydesk.settings.dev")

    from django.core.management import execute_from_command_line

    execute_from_command_line(argv)


if __name__ == "__main__":
    main()
