"""Start a simulated drive as a child process for the length of a `with` block.

    with running_sim("qlc-16k", workdir) as sim:
        run fio against sim.uri ...
        sim.stats()["media_bytes_written"]

The child is `python -m nvmeprobe.sim`, in its own session (a Ctrl-C
at the terminal reaches the parent, which then stops the child on its way
out). It is stopped when the block exits, also on an exception or
KeyboardInterrupt; if the parent dies without unwinding (SIGKILL, or SIGTERM
with Python's default handler) the child sees its parent pid change and
exits within ~0.2 s. Sockets live in `workdir`, or in a private temporary
directory when that path would be too long for a unix socket or has
characters an NBD URI cannot carry plainly.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import socket as socketlib
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from nvmeprobe.errors import InputError, MeasurementFailed
from nvmeprobe.sim.params import DriveParams
from nvmeprobe.sim.server import control_path
from nvmeprobe.sim.spec import parse_spec

START_TIMEOUT_S = 15.0
STOP_TIMEOUT_S = 5.0
_MAX_SOCKET_PATH = 100
_URI_SAFE_PATH = re.compile(r"^[A-Za-z0-9._/-]+$")


def control_request(socket_path: Path, op: str, timeout: float = 10.0) -> dict:
    """Send one control request ('stats' or 'captures') to the sim serving `socket_path`."""
    with socketlib.socket(socketlib.AF_UNIX, socketlib.SOCK_STREAM) as conn:
        conn.settimeout(timeout)
        try:
            conn.connect(str(control_path(socket_path)))
            conn.sendall(json.dumps({"op": op}).encode() + b"\n")
            data = b""
            while not data.endswith(b"\n"):
                chunk = conn.recv(1 << 20)
                if not chunk:
                    break
                data += chunk
        except OSError as err:
            raise MeasurementFailed(
                f"simulated drive at {socket_path} did not answer: {err}"
            ) from None
    try:
        answer = json.loads(data)
    except ValueError:
        raise MeasurementFailed(
            f"simulated drive at {socket_path} sent a malformed answer"
        ) from None
    if "error" in answer:
        raise MeasurementFailed(f"simulated drive at {socket_path}: {answer['error']}")
    return answer


def sim_stats(socket_path: Path) -> dict:
    """Exact counters, identity, true params and derived truths of a running sim."""
    return control_request(socket_path, "stats")["stats"]


def sim_capture_files(socket_path: Path) -> dict[str, bytes]:
    """nvme-cli / sysfs captures of a running sim, by file name."""
    files = control_request(socket_path, "captures")["files"]
    return {name: text.encode() for name, text in files.items()}


@dataclass
class SimHandle:
    """A running simulated drive."""

    spec: str
    params: DriveParams
    socket: Path
    process: subprocess.Popen

    @property
    def uri(self) -> str:
        """The NBD URI fio's nbd engine takes: nbd+unix:///?socket=PATH."""
        return f"nbd+unix:///?socket={self.socket}"

    @property
    def pid(self) -> int:
        """Process id of the server."""
        return self.process.pid

    def stats(self) -> dict:
        """Exact counters plus the true parameters (see `SimDrive.stats`)."""
        return sim_stats(self.socket)

    def capture_files(self) -> dict[str, bytes]:
        """The captured files by name: id-ctrl.json, id-ns.json, smart-log.json,
        ocp-smart-add-log.json, sysfs-*.txt and kind.txt.
        """
        return sim_capture_files(self.socket)


@contextmanager
def running_sim(spec: str, workdir: Path) -> Iterator[SimHandle]:
    """Run the sim described by `spec` (text after 'sim:') until the block exits."""
    params = parse_spec(spec)
    workdir = Path(workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    sock_dir, private = workdir.resolve(), False
    probe = str(sock_dir / "nbd-999.sock.ctl")
    if len(probe) > _MAX_SOCKET_PATH or not _URI_SAFE_PATH.match(probe):
        sock_dir, private = Path(tempfile.mkdtemp(prefix="nvmeprobe-sim-")), True
    socket_path = _free_socket_name(sock_dir)
    log_path = workdir / f"{socket_path.stem}.log"
    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "nvmeprobe.sim",
                spec,
                "--socket",
                str(socket_path),
                "--parent-pid",
                str(os.getpid()),
            ],
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=log,
            start_new_session=True,
        )
    handle = SimHandle(spec=spec, params=params, socket=socket_path, process=process)
    try:
        _wait_ready(handle, log_path)
        yield handle
    finally:
        _stop(process)
        for path in (socket_path, control_path(socket_path)):
            if path.is_socket():
                path.unlink()
        if private:
            shutil.rmtree(sock_dir, ignore_errors=True)


def _free_socket_name(directory: Path) -> Path:
    """nbd.sock, or nbd-2.sock, ... when several sims share a directory."""
    for n in range(1, 1000):
        path = directory / ("nbd.sock" if n == 1 else f"nbd-{n}.sock")
        if not path.exists() and not control_path(path).exists():
            return path
    raise InputError(f"too many simulated drive sockets in {directory}")


def _wait_ready(handle: SimHandle, log_path: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if handle.process.poll() is not None:
            lines = log_path.read_text(errors="replace").strip().splitlines()
            reason = lines[-1] if lines else f"exit code {handle.process.returncode}"
            raise MeasurementFailed(f"simulated drive {handle.spec!r} did not start: {reason}")
        if handle.socket.exists() and control_path(handle.socket).exists():
            try:
                handle.stats()
                return
            except MeasurementFailed:
                pass
        time.sleep(0.02)
    raise MeasurementFailed(
        f"simulated drive {handle.spec!r} did not start within {START_TIMEOUT_S:.0f} s"
    )


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
