"""``python -m keepfaith.cli``: the same as the ``keepfaith`` command."""

from keepfaith.cli import main

main()
