"""`python -m paydesk …` is the same as the `paydesk` console script."""

from paydesk.cli.main import main

main()
