"""The `nvmeprobe` command line: parses arguments and prints; the work is elsewhere."""

from __future__ import annotations

import sys

import click

from nvmeprobe import __version__
from nvmeprobe.errors import ProbeError


class ProbeGroup(click.Group):
    """A click group that turns a ProbeError into one line on stderr and its exit code."""

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


def _register() -> None:
    from nvmeprobe.cli import analyze, demo, detect, inspect, plan, recommend, run, sim

    for module in (detect, inspect, plan, run, analyze, recommend, demo, sim):
        main.add_command(module.command)


_register()
