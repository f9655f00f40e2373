"""``python -m tokkit.cli``: the same as the ``tokkit`` command."""

from tokkit.cli.app import main

main()
