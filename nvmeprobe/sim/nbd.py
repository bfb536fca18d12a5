"""A pure-Python NBD server (fixed newstyle handshake, simple replies) on asyncio.

Why not nbdkit's Python plugin? Measured with bench/bench_sim.py (fio 3.33
nbd engine, 4 KiB random I/O, 2-core VM, medians of 3): at zero modelled
latency this server does 15k write / 30k read IOPS at QD1 and 56-60k at
QD16; a bare plugin (a dict, no model) 21k / 15k at QD1 and 28k at QD16.
With every request waiting 1 ms on 16 units (16k modelled) at QD32: this
server 13.2k, the plugin with 32 threads 15.4k (the prototype of
docs/field-notes.md section 6, with fewer threads, ~5k). Raw speed is
therefore a wash at the presets' rates (at most 8k IOPS); what decides is
the rest:
- the plugin runs in nbdkit's embedded system python3, not the project's
  virtualenv, so it cannot import this model without path tricks, and it
  needs two more Debian packages;
- in nbdkit every waiting request holds a thread (queue depth is capped by
  --threads) and a model shared by threads needs locks; here waiting costs
  one timer, and one process owns model, counters and the control socket,
  so stats are exact and consistent;
- completion times come from a virtual schedule of the parallel units
  (`DriveModel`), so a late timer delays one reply but never the model:
  throughput at QD > units matches the model within 0.2-3.4%, where sleeps
  in threads would add each overshoot (100-140 us here) to the service time.
The event loop must be select()-based: epoll's millisecond timeout rounds
every timer up to 1 ms, which would add up to 1 ms to every modelled latency.

Protocol coverage: the fixed newstyle handshake with NBD_OPT_EXPORT_NAME,
NBD_OPT_INFO/GO (export size and flags, block size constraints on request),
NBD_OPT_LIST and NBD_OPT_ABORT; other options (structured replies, TLS,
meta contexts) are answered NBD_REP_ERR_UNSUP, so clients fall back to simple
replies. Commands: READ, WRITE, FLUSH, TRIM, DISC. Replies may leave out of
order, each when its request's modelled service completes (never, for a
hung command: the backend gives `NEVER` as its completion time).
"""

from __future__ import annotations

import asyncio
import errno
import math
import struct
from typing import Protocol

NBDMAGIC = 0x4E42444D41474943
IHAVEOPT = 0x49484156454F5054
OPT_REPLY_MAGIC = 0x0003E889045565A9
REQUEST_MAGIC = 0x25609513
SIMPLE_REPLY_MAGIC = 0x67446698

FLAG_FIXED_NEWSTYLE, FLAG_NO_ZEROES = 1, 2
OPT_EXPORT_NAME, OPT_ABORT, OPT_LIST, OPT_INFO, OPT_GO = 1, 2, 3, 6, 7
REP_ACK, REP_SERVER, REP_INFO = 1, 2, 3
REP_ERR_UNSUP, REP_ERR_INVALID = 2**31 + 1, 2**31 + 3
INFO_EXPORT, INFO_BLOCK_SIZE = 0, 3
TFLAGS = 1 | 4 | 32 | 256  # HAS_FLAGS | SEND_FLUSH | SEND_TRIM | CAN_MULTI_CONN
CMD_READ, CMD_WRITE, CMD_DISC, CMD_FLUSH, CMD_TRIM = 0, 1, 2, 3, 4

MAX_OPTION_BYTES = 65536
MAX_PAYLOAD = 32 * 1024 * 1024

_REQUEST = struct.Struct(">IHHQQI")
_REPLY = struct.Struct(">IIQ")
_OPTION = struct.Struct(">QII")
_OPT_REPLY = struct.Struct(">QIII")


NEVER = math.inf
"""A backend's completion time for a command that is never answered (a hung drive)."""


class Backend(Protocol):
    """What the server serves: sizes and the four data commands (times are loop.time())."""

    size: int
    min_block: int
    preferred_block: int

    def read(self, offset: int, length: int) -> tuple[int, bytes, float]: ...
    def write(self, offset: int, data: bytes) -> tuple[int, float]: ...
    def trim(self, offset: int, length: int) -> int: ...


class NbdConnection(asyncio.Protocol):
    """One client connection: handshake state machine, then transmission."""

    def __init__(self, backend: Backend) -> None:
        self.backend = backend
        self.loop = asyncio.get_running_loop()
        self.buf = bytearray()
        self.state = "flags"
        self.no_zeroes = False
        self.pending = 0
        self.disconnecting = False
        self.transport: asyncio.Transport | None = None
        self._steps = {
            "flags": self._client_flags,
            "options": self._option,
            "transmission": self._request,
        }

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)  # a stream server's transport
        self.transport = transport
        transport.write(
            struct.pack(">QQH", NBDMAGIC, IHAVEOPT, FLAG_FIXED_NEWSTYLE | FLAG_NO_ZEROES)
        )

    def data_received(self, data: bytes) -> None:
        self.buf += data
        while not self.disconnecting:
            if not self._steps[self.state]():
                return

    def _close(self) -> None:
        self.disconnecting = True
        if self.transport and not self.transport.is_closing():
            self.transport.close()

    # Handshake.

    def _client_flags(self) -> bool:
        if len(self.buf) < 4:
            return False
        (flags,) = struct.unpack_from(">I", self.buf)
        del self.buf[:4]
        if not flags & FLAG_FIXED_NEWSTYLE:
            self._close()
            return False
        self.no_zeroes = bool(flags & FLAG_NO_ZEROES)
        self.state = "options"
        return True

    def _option(self) -> bool:
        if len(self.buf) < _OPTION.size:
            return False
        magic, option, length = _OPTION.unpack_from(self.buf)
        if magic != IHAVEOPT or length > MAX_OPTION_BYTES:
            self._close()
            return False
        if len(self.buf) < _OPTION.size + length:
            return False
        data = bytes(self.buf[_OPTION.size : _OPTION.size + length])
        del self.buf[: _OPTION.size + length]
        if option == OPT_EXPORT_NAME:
            tail = b"" if self.no_zeroes else bytes(124)
            self._send(struct.pack(">QH", self.backend.size, TFLAGS) + tail)
            self.state = "transmission"
        elif option == OPT_ABORT:
            self._opt_reply(option, REP_ACK)
            self._close()
            return False
        elif option == OPT_LIST:
            self._opt_reply(option, REP_SERVER, struct.pack(">I", 0))
            self._opt_reply(option, REP_ACK)
        elif option in (OPT_INFO, OPT_GO):
            self._info_or_go(option, data)
        else:
            self._opt_reply(option, REP_ERR_UNSUP)
        return True

    def _info_or_go(self, option: int, data: bytes) -> None:
        try:
            (name_len,) = struct.unpack_from(">I", data)
            (count,) = struct.unpack_from(">H", data, 4 + name_len)
            requests = struct.unpack_from(f">{count}H", data, 6 + name_len)
        except struct.error:
            self._opt_reply(option, REP_ERR_INVALID)
            return
        backend = self.backend
        self._opt_reply(option, REP_INFO, struct.pack(">HQH", INFO_EXPORT, backend.size, TFLAGS))
        if INFO_BLOCK_SIZE in requests:
            self._opt_reply(
                option,
                REP_INFO,
                struct.pack(
                    ">HIII",
                    INFO_BLOCK_SIZE,
                    backend.min_block,
                    backend.preferred_block,
                    MAX_PAYLOAD,
                ),
            )
        self._opt_reply(option, REP_ACK)
        if option == OPT_GO:
            self.state = "transmission"

    def _opt_reply(self, option: int, kind: int, payload: bytes = b"") -> None:
        self._send(_OPT_REPLY.pack(OPT_REPLY_MAGIC, option, kind, len(payload)) + payload)

    # Transmission.

    def _request(self) -> bool:
        buf = self.buf
        if len(buf) < _REQUEST.size:
            return False
        magic, _flags, command, handle, offset, length = _REQUEST.unpack_from(buf)
        if magic != REQUEST_MAGIC:
            self._close()
            return False
        if command == CMD_WRITE:
            if length > MAX_PAYLOAD:
                self._close()
                return False
            end = _REQUEST.size + length
            if len(buf) < end:
                return False
            payload = bytes(buf[_REQUEST.size : end])
            del buf[:end]
            error, when = self.backend.write(offset, payload)
            self._reply(_REPLY.pack(SIMPLE_REPLY_MAGIC, error, handle), when)
            return True
        del buf[: _REQUEST.size]
        if command == CMD_READ:
            if length > MAX_PAYLOAD:
                error, data, when = errno.EINVAL, b"", 0.0
            else:
                error, data, when = self.backend.read(offset, length)
            header = _REPLY.pack(SIMPLE_REPLY_MAGIC, error, handle)
            self._reply(header if error else header + data, when)
        elif command == CMD_FLUSH:
            self._reply(_REPLY.pack(SIMPLE_REPLY_MAGIC, 0, handle), 0.0)
        elif command == CMD_TRIM:
            error = self.backend.trim(offset, length)
            self._reply(_REPLY.pack(SIMPLE_REPLY_MAGIC, error, handle), 0.0)
        elif command == CMD_DISC:
            self.disconnecting = True
            if not self.pending:
                self._close()
            return False
        else:
            self._reply(_REPLY.pack(SIMPLE_REPLY_MAGIC, errno.EINVAL, handle), 0.0)
        return True

    def _reply(self, message: bytes, when: float) -> None:
        if when == NEVER:
            return  # a hung command: never answered
        if when <= self.loop.time():
            self._send(message)
        else:
            self.pending += 1
            self.loop.call_at(when, self._deferred, message)

    def _deferred(self, message: bytes) -> None:
        self.pending -= 1
        self._send(message)
        if self.disconnecting and not self.pending:
            self._close()

    def _send(self, message: bytes) -> None:
        if self.transport and not self.transport.is_closing():
            self.transport.write(message)
