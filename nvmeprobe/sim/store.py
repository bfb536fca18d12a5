"""Sparse, bounded storage for the data written to a simulated drive.

Data lives in 4 KiB chunks in a dict; never-written (or trimmed, or
all-zero) chunks are absent and read as zeros. Memory is bounded by
`limit_bytes`: a write that would need more chunks than that is refused as
a whole (the server answers ENOSPC and says why once on stderr).
"""

from __future__ import annotations

CHUNK = 4096
_ZERO = bytes(CHUNK)


class DataStore:
    """Written data by 4 KiB chunk; at most `limit_bytes` of chunks held."""

    def __init__(self, limit_bytes: int) -> None:
        self.limit_chunks = limit_bytes // CHUNK
        self._chunks: dict[int, bytes] = {}

    @property
    def stored_bytes(self) -> int:
        """Bytes of memory held for data (whole chunks)."""
        return len(self._chunks) * CHUNK

    def write(self, offset: int, data: bytes) -> bool:
        """Store `data` at `offset`; False (nothing stored) when the bound would be passed."""
        chunks = self._chunks
        first, last = offset // CHUNK, (offset + len(data) - 1) // CHUNK
        new = sum(1 for i in range(first, last + 1) if i not in chunks)
        if new and len(chunks) + new > self.limit_chunks:
            return False
        view = memoryview(data)
        pos = 0
        for index in range(first, last + 1):
            start = offset + pos - index * CHUNK
            take = min(CHUNK - start, len(data) - pos)
            if take == CHUNK:
                piece = bytes(view[pos : pos + CHUNK])
            else:
                buf = bytearray(chunks.get(index, _ZERO))
                buf[start : start + take] = view[pos : pos + take]
                piece = bytes(buf)
            if piece == _ZERO:
                chunks.pop(index, None)
            else:
                chunks[index] = piece
            pos += take
        return True

    def read(self, offset: int, length: int) -> bytes:
        """`length` bytes at `offset`; zeros where nothing was written."""
        if length <= 0:
            return b""
        first, last = offset // CHUNK, (offset + length - 1) // CHUNK
        get = self._chunks.get
        data = b"".join([get(i, _ZERO) for i in range(first, last + 1)])
        start = offset - first * CHUNK
        return data if start == 0 and len(data) == length else data[start : start + length]

    def trim(self, offset: int, length: int) -> None:
        """Forget the chunks wholly inside [offset, offset+length): they read as zeros."""
        first = -(-offset // CHUNK)
        end = (offset + length) // CHUNK
        for index in range(first, end):
            self._chunks.pop(index, None)
