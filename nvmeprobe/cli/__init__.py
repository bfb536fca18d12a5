"""The `nvmeprobe` command line: parses arguments and prints; the work is elsewhere."""

from __future__ import annotations

import gc
import importlib
import sys

import click

from nvmeprobe import __version__
from nvmeprobe.errors import ProbeError

COMMANDS = (
    "detect",
    "inspect",
    "plan",
    "run",
    "analyze",
    "report",
    "compare",
    "export",
    "ingest",
    "query",
    "recommend",
    "qualify",
    "demo",
    "sim",
)
"""Command names, each in nvmeprobe/cli/<name>.py as `command`, imported when used
(so `nvmeprobe detect` does not pay for pandas, pyarrow and scipy)."""


class ProbeGroup(click.Group):
    """A click group that turns a ProbeError into one line on stderr and its exit code."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return list(COMMANDS)

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name not in COMMANDS:
            return None
        return importlib.import_module(f"nvmeprobe.cli.{name}").command

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except ProbeError as err:
            click.echo(f"nvmeprobe: error: {err}", err=True)
            sys.exit(err.exit_code)
        except BrokenPipeError:
            sys.exit(0)


@click.group(cls=ProbeGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="nvmeprobe")
def main() -> None:
    """Characterise NVMe drives for AI storage: IU, RMW, SLC cache, WAF, QoS, placement."""


def entry() -> None:
    """The `nvmeprobe` console script: `main`, then a quick exit.

    gc.freeze() moves every live object out of the collector's reach, so the
    collections Python runs while shutting down skip the ~70,000 objects that
    pandas, pyarrow and friends leave: ~70 ms off `nvmeprobe run --help` here.
    Files are closed and atexit handlers still run; only cycles left at exit
    stay uncollected, and the process is ending.
    """
    try:
        main()
    finally:
        gc.freeze()
