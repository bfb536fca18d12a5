"""`nvmeprobe sim`: serve a simulated drive over NBD, list the presets."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click
from rich import box

from nvmeprobe.cli.output import Col, print_json, print_table
from nvmeprobe.units import format_bytes


@click.group("sim")
def sim_group() -> None:
    """Simulated drives with known ground truth, served over NBD."""


@sim_group.command("serve")
@click.argument("spec")
@click.option(
    "--socket",
    "socket_path",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="Unix socket to serve NBD on; the control channel is SOCKET.ctl.",
)
def serve_command(spec: str, socket_path: Path) -> None:
    """Serve SPEC (a preset such as qlc-16k, or iu=16k,slc=64m,...) until Ctrl-C.

    fio reaches it with --ioengine=nbd --uri=nbd+unix:///?socket=SOCKET.
    """
    from nvmeprobe.sim.server import serve
    from nvmeprobe.sim.spec import parse_spec

    serve(parse_spec(spec), socket_path.absolute(), announce=True)


@sim_group.command("presets")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document.")
def presets_command(as_json: bool) -> None:
    """List the built-in simulated drives with their parameters."""
    from nvmeprobe.sim.presets import PRESETS
    from nvmeprobe.sim.spec import parse_spec, preset_spec

    rows: list[dict[str, Any]] = []
    for name, (description, _) in PRESETS.items():
        params = parse_spec(name)
        rows.append(
            {
                "name": name,
                "description": description,
                "spec": preset_spec(name),
                "params": params.to_dict(),
                "truth": params.truth(),
            }
        )
    if as_json:
        print_json(rows)
        return
    right = "right"
    columns = [
        Col("preset", key=True),
        Col("IU", keep=5, justify=right),
        Col("reports", keep=3, short="rep.", justify=right),
        Col("SLC", keep=4, justify=right),
        Col("in cache", keep=2, short="cache", justify=right),
        Col("native", keep=3, short="nat.", justify=right),
        Col("throttles", keep=1, short="heat", justify=right),
        Col("description", keep=6, short="desc.", note=True),
    ]
    table = []
    for row in rows:
        truth = row["truth"]
        table.append(
            [
                row["name"],
                format_bytes(truth["iu_bytes"]),
                format_bytes(truth["reported_iu_bytes"]),
                _cache(truth["slc_bytes"], row["params"]["slc_free_share"]),
                _rate(truth["in_cache_write_bw"]),
                _rate(truth["native_write_bw"]),
                _throttles(truth.get("heat")),
                row["description"],
            ]
        )
    print_table(
        columns, table, box=box.SIMPLE, caption="write rates: IU-aligned, all units busy, real time"
    )


def _cache(static: int, free_share: float) -> str:
    """'192 MiB', 'none', or 'dynamic' for a cache that grows with the free space."""
    if free_share:
        return "dynamic"
    return format_bytes(static) if static else "none"


def _rate(value: float | None) -> str:
    return "-" if value is None else f"{format_bytes(value)}/s"


def _throttles(heat: dict | None) -> str:
    """'after 2.9 s, 3x': when full load throttles the drive, and by how much."""
    if not heat or heat["onset_at_full_load_s"] is None:
        return "-"
    return f"after {heat['onset_at_full_load_s']:.1f} s, {heat['throttle_factor']:g}x"


command = sim_group
