"""`python -m nvmeprobe.cli` runs the CLI."""

from nvmeprobe.cli import entry

entry()
