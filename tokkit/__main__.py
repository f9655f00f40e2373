"""``python -m tokkit``: the same as the ``tokkit`` command."""

from tokkit.cli.app import main

main()
