"""Every JSON file under `results/` is JSON, so other tools (fio-plot) read the tree as it is.

fio writes some messages into its `--output` file next to the JSON document:
a cell stopped on its bandwidth drop starts with `fio: terminating on signal 2`.
That text is moved to a side file beside the JSON (`<name>.messages.txt`),
never dropped: it says how the cell ended.
"""

from __future__ import annotations

import os
from pathlib import Path

from nvmeprobe.errors import InputError, ProbeError
from nvmeprobe.ingest.fio_json import split_fio_output

MESSAGES_SUFFIX = ".messages.txt"


def messages_file(out_json: Path) -> Path:
    """The side file that keeps what fio printed into `out_json` besides its JSON."""
    return out_json.with_name(out_json.stem + MESSAGES_SUFFIX)


def separate_messages(out_json: Path) -> Path | None:
    """Move fio's messages out of its JSON output into the side file; returns it, if any.

    A file with no complete document is left as fio wrote it (its cell fails on it).
    """
    try:
        document, messages = split_fio_output(
            out_json.read_bytes().decode(errors="replace"), str(out_json)
        )
    except InputError:
        return None
    if not messages:
        return None
    side = messages_file(out_json)
    temporary = out_json.with_name(f".{out_json.name}.tmp")
    try:
        side.write_text(messages + "\n")
        temporary.write_text(document)
        os.replace(temporary, out_json)
    except OSError as err:
        temporary.unlink(missing_ok=True)
        raise ProbeError(f"cannot rewrite {out_json}: {err.strerror or err}") from None
    return side
