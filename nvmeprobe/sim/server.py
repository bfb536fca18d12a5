"""Run a simulated drive: NBD on SOCKET, its control channel on SOCKET.ctl.

The control channel speaks one JSON request line and one JSON response line
per connection: `{"op": "stats"}` -> `{"stats": {...}}`, `{"op": "captures"}`
-> `{"files": {name: text}}`, else `{"error": "..."}`.

`python -m nvmeprobe.sim SPEC --socket PATH [--parent-pid PID]` is
what `running_sim` starts; with `--parent-pid` the server exits within
~0.2 s of that process dying (its parent pid changes), so a SIGKILLed parent
leaves nothing behind. SIGTERM, SIGINT and SIGHUP stop it cleanly; it removes
its sockets on the way out.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import selectors
import signal
import stat
import sys
from pathlib import Path

from nvmeprobe.errors import InputError, ProbeError
from nvmeprobe.sim.drive import SimDrive
from nvmeprobe.sim.nbd import NbdConnection
from nvmeprobe.sim.params import DriveParams
from nvmeprobe.sim.spec import parse_spec

PARENT_POLL_S = 0.2
MAX_CONTROL_REQUEST = 4096


def control_path(socket_path: Path) -> Path:
    """The control socket next to an NBD socket: PATH.ctl."""
    return socket_path.with_name(socket_path.name + ".ctl")


def serve(
    params: DriveParams, socket_path: Path, parent_pid: int | None = None, announce: bool = False
) -> None:
    """Serve a drive until a signal arrives (or the parent `parent_pid` dies)."""
    if len(str(socket_path)) + 4 > 107:
        raise InputError(f"socket path too long for a unix socket (max 103 bytes): {socket_path}")
    loop = asyncio.SelectorEventLoop(selectors.SelectSelector())
    try:
        loop.run_until_complete(_serve(params, socket_path, parent_pid, announce))
    finally:
        loop.close()


async def _serve(
    params: DriveParams, socket_path: Path, parent_pid: int | None, announce: bool
) -> None:
    loop = asyncio.get_running_loop()
    drive = SimDrive(params)
    ctl_path = control_path(socket_path)
    for path in (socket_path, ctl_path):
        _remove_stale_socket(path)
    stop = asyncio.Event()
    for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        loop.add_signal_handler(sig, stop.set)
    nbd = await loop.create_unix_server(lambda: NbdConnection(drive), str(socket_path))
    control = await asyncio.start_unix_server(lambda r, w: _control(drive, r, w), str(ctl_path))
    watcher = asyncio.create_task(_watch_parent(parent_pid, stop)) if parent_pid else None
    try:
        if announce:
            print(
                f"serving {params.model_name} ({params.serial}) at nbd+unix:///?socket={socket_path}"
                f" (control: {ctl_path}); Ctrl-C stops",
                file=sys.stderr,
                flush=True,
            )
        await stop.wait()
    finally:
        if watcher:
            watcher.cancel()
        nbd.close()
        control.close()
        for path in (socket_path, ctl_path):
            path.unlink(missing_ok=True)


async def _watch_parent(parent_pid: int, stop: asyncio.Event) -> None:
    while os.getppid() == parent_pid:
        await asyncio.sleep(PARENT_POLL_S)
    stop.set()


async def _control(
    drive: SimDrive, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
) -> None:
    try:
        line = await reader.readline()
        try:
            op = json.loads(line[:MAX_CONTROL_REQUEST]).get("op")
        except (ValueError, AttributeError):
            op = None
        if op == "stats":
            answer: dict = {"stats": drive.stats()}
        elif op == "captures":
            answer = {"files": {k: v.decode() for k, v in drive.captures().items()}}
        else:
            answer = {"error": 'unknown request: send {"op": "stats"} or {"op": "captures"}'}
        writer.write(json.dumps(answer).encode() + b"\n")
        await writer.drain()
    except ConnectionError:
        pass
    finally:
        writer.close()


def _remove_stale_socket(path: Path) -> None:
    """Remove a socket left by a dead server; refuse to replace anything else."""
    try:
        mode = path.lstat().st_mode
    except FileNotFoundError:
        return
    if not stat.S_ISSOCK(mode):
        raise InputError(f"{path} exists and is not a socket; not replacing it")
    path.unlink()


def main(argv: list[str] | None = None) -> int:
    """Entry point of the child process `running_sim` starts."""
    parser = argparse.ArgumentParser(prog="python -m nvmeprobe.sim")
    parser.add_argument("spec")
    parser.add_argument("--socket", required=True, type=Path)
    parser.add_argument("--parent-pid", type=int)
    args = parser.parse_args(argv)
    try:
        serve(parse_spec(args.spec), args.socket, args.parent_pid)
    except ProbeError as err:
        print(f"nvmeprobe sim: error: {err}", file=sys.stderr)
        return err.exit_code
    return 0


if __name__ == "__main__":
    sys.exit(main())
