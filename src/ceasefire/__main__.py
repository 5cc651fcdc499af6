"""Allow ``python -m ceasefire``."""

from ceasefire.cli.main import run

run()
