"""What a live progress display shows of fio's status line (`run` and several targets at once)."""

from __future__ import annotations

from nvmeprobe.run.fio_status import FioStatus
from nvmeprobe.units import format_bytes


def live_text(status: FioStatus) -> str:
    """What the progress bar shows of one fio status sample."""
    if status.has_rates:
        bw = (status.read_bw or 0) + (status.write_bw or 0)
        return f"{status.iops or 0:,.0f} IOPS {format_bytes(bw)}/s"
    if status.states and set(status.states) & set("rRwWmM"):
        return "no IO completing"  # a stall, or a pause in IO (the rates come back when it ends)
    return "ramp" if status.states and "/" in status.states else ""
