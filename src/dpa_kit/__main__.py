"""``python -m dpa_kit``."""

from dpa_kit.cli import main

main()
