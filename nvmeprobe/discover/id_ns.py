"""Identify Namespace: nvme-cli JSON, `nvme id-ns [-H]` text, or the raw 4096-byte page.

Facts (docs/field-notes.md section 1; NVMe Base spec, Identify Namespace, as laid out in
Linux/libnvme `struct nvme_id_ns`): nsze@0, ncap@8, nuse@16 (u64 LBAs); nsfeat@24,
nlbaf@25, flbas@26; nawun@34, nawupf@36, noiob@46 (u16); nvmcap@48 (16 bytes);
npwg@64, npwa@66, npdg@68, npda@70, nows@72 (u16); endgid@102 (u16); LBA formats
from @128, 4 bytes each (ms u16, lbads u8, rp bits 1:0).

npwg/npwa/npdg/npda/nows are 0's based LBA counts and valid only when nsfeat bit 4
(OPTPERF) is set: they are kept as None otherwise, and None when a capture omits them
(nvme-cli prints them only when nsfeat & 0x30). noiob is a plain LBA count, valid when
non-zero. The LBA format in use is flbas bits 3:0 plus bits 6:5 as the upper two bits
of the index (NVMe 2.0, for more than 16 formats).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from nvmeprobe.discover.values import (
    colon_pairs,
    le_uint,
    parse_capture,
    to_int,
)
from nvmeprobe.errors import InputError

OPTPERF = 0x10
ID_PAGE_BYTES = 4096


@dataclass(frozen=True)
class LbaFormat:
    """One supported LBA format: data size in bytes and metadata bytes per block."""

    data_size: int
    metadata_size: int


@dataclass(frozen=True)
class NamespaceFacts:
    """What Identify Namespace says.

    OPTPERF fields are raw 0's based counts (None = not reported).
    """

    nsze: int | None
    nuse: int | None
    nsfeat: int | None
    lba_formats: tuple[LbaFormat, ...]
    format_index: int | None
    nawun: int | None = None
    nawupf: int | None = None
    noiob: int | None = None
    nvmcap: int | None = None
    npwg: int | None = None
    npwa: int | None = None
    npdg: int | None = None
    npda: int | None = None
    nows: int | None = None
    endgid: int | None = None

    @property
    def lba_size(self) -> int | None:
        """Bytes per logical block of the format in use."""
        if self.format_index is None or self.format_index >= len(self.lba_formats):
            return None
        return self.lba_formats[self.format_index].data_size

    @property
    def size_bytes(self) -> int | None:
        """Namespace size (nsze LBAs) in bytes."""
        lba = self.lba_size
        return self.nsze * lba if self.nsze is not None and lba else None

    def _blocks(self, zeros_based: int | None) -> int | None:
        lba = self.lba_size
        return (zeros_based + 1) * lba if zeros_based is not None and lba else None

    @property
    def write_granularity_bytes(self) -> int | None:
        """Preferred write granularity (npwg): the reported IU."""
        return self._blocks(self.npwg)

    @property
    def write_alignment_bytes(self) -> int | None:
        """Preferred write alignment (npwa)."""
        return self._blocks(self.npwa)

    @property
    def deallocate_granularity_bytes(self) -> int | None:
        """Preferred deallocate granularity (npdg)."""
        return self._blocks(self.npdg)

    @property
    def deallocate_alignment_bytes(self) -> int | None:
        """Preferred deallocate alignment (npda)."""
        return self._blocks(self.npda)

    @property
    def optimal_write_bytes(self) -> int | None:
        """Optimal write size (nows)."""
        return self._blocks(self.nows)

    @property
    def boundary_bytes(self) -> int | None:
        """Optimal I/O boundary (noiob LBAs, not 0's based; 0 = not reported)."""
        lba = self.lba_size
        return self.noiob * lba if self.noiob and lba else None


def format_index(flbas: int) -> int:
    """Index of the LBA format in use from flbas (bits 3:0, bits 6:5 as index bits 5:4)."""
    return (flbas & 0xF) | (((flbas >> 5) & 0x3) << 4)


def _build(
    fields: dict[str, int | None], formats: tuple[LbaFormat, ...], index: int | None
) -> NamespaceFacts:
    nsfeat = fields.get("nsfeat")
    optperf = nsfeat is not None and bool(nsfeat & OPTPERF)
    perf = {
        k: (fields.get(k) if optperf else None) for k in ("npwg", "npwa", "npdg", "npda", "nows")
    }
    return NamespaceFacts(
        nsze=fields.get("nsze"),
        nuse=fields.get("nuse"),
        nsfeat=nsfeat,
        lba_formats=formats,
        format_index=index,
        nawun=fields.get("nawun"),
        nawupf=fields.get("nawupf"),
        noiob=fields.get("noiob"),
        nvmcap=fields.get("nvmcap"),
        endgid=fields.get("endgid"),
        **perf,
    )


_INT_FIELDS = (
    "nsze",
    "nuse",
    "nsfeat",
    "nawun",
    "nawupf",
    "noiob",
    "nvmcap",
    "npwg",
    "npwa",
    "npdg",
    "npda",
    "nows",
    "endgid",
)


def parse_id_ns(data: bytes | str) -> NamespaceFacts:
    """Identify Namespace from any capture shape (JSON, text, raw page)."""
    return parse_capture(data, "id-ns", parse_id_ns_json, parse_id_ns_text, parse_id_ns_binary)


def parse_id_ns_json(doc: Any) -> NamespaceFacts:
    """`nvme id-ns -o json`."""
    if not isinstance(doc, dict) or "nsze" not in doc:
        raise InputError("id-ns: JSON has no 'nsze' (not an Identify Namespace)")
    formats = tuple(
        LbaFormat(
            data_size=2 ** int(to_int(f.get("ds")) or 0), metadata_size=to_int(f.get("ms")) or 0
        )
        for f in doc.get("lbafs") or []
    )
    flbas = to_int(doc.get("flbas"))
    fields = {name: to_int(doc.get(name)) for name in _INT_FIELDS}
    return _build(fields, formats, format_index(flbas) if flbas is not None else None)


_LBAF_SHORT = re.compile(
    r"^\s*lbaf\s+(\d+)\s*:\s*ms:(\d+)\s+lbads:(\d+)\s+rp:\S+(.*)$", re.IGNORECASE
)
_LBAF_LONG = re.compile(
    r"^\s*LBA Format\s+(\d+)\s*:\s*Metadata Size:\s*(\d+)\s+bytes"
    r"\s*-\s*Data Size:\s*(\d+)\s+bytes(.*)$",
    re.IGNORECASE,
)


def parse_id_ns_text(text: str) -> NamespaceFacts:
    """`nvme id-ns` / `nvme id-ns -H` text (1.x and 2.x layouts; leading indentation allowed)."""
    pairs = colon_pairs(text)
    if "nsze" not in pairs and "nsfeat" not in pairs:
        raise InputError("id-ns: text has no nsze/nsfeat lines (not Identify Namespace output)")
    fields = {name: to_int(pairs.get(name)) for name in _INT_FIELDS}
    formats: dict[int, LbaFormat] = {}
    in_use = None
    for line in text.splitlines():
        short, long_ = _LBAF_SHORT.match(line), _LBAF_LONG.match(line)
        if short:
            idx, ms, size, rest = int(short[1]), int(short[2]), 2 ** int(short[3]), short[4]
        elif long_:
            idx, ms, size, rest = int(long_[1]), int(long_[2]), int(long_[3]), long_[4]
        else:
            continue
        formats[idx] = LbaFormat(data_size=size, metadata_size=ms)
        if "in use" in rest:
            in_use = idx
    contiguous = set(formats) == set(range(len(formats)))  # an elided table cannot be indexed
    ordered = tuple(formats[i] for i in range(len(formats))) if contiguous else ()
    flbas = to_int(pairs.get("flbas"))
    index = format_index(flbas) if flbas is not None else in_use
    return _build(fields, ordered, index)


def parse_id_ns_binary(page: bytes) -> NamespaceFacts:
    """The raw 4096-byte Identify Namespace page."""
    if len(page) < ID_PAGE_BYTES:
        raise InputError(f"id-ns: raw page is {len(page)} bytes, expected {ID_PAGE_BYTES}")
    nlbaf = page[25] + 1
    formats = tuple(
        LbaFormat(data_size=2 ** page[128 + 4 * i + 2], metadata_size=le_uint(page, 128 + 4 * i, 2))
        for i in range(min(nlbaf, 64))
    )
    fields: dict[str, int | None] = {
        "nsze": le_uint(page, 0, 8),
        "nuse": le_uint(page, 16, 8),
        "nsfeat": page[24],
        "nawun": le_uint(page, 34, 2),
        "nawupf": le_uint(page, 36, 2),
        "noiob": le_uint(page, 46, 2),
        "nvmcap": le_uint(page, 48, 16),
        "npwg": le_uint(page, 64, 2),
        "npwa": le_uint(page, 66, 2),
        "npdg": le_uint(page, 68, 2),
        "npda": le_uint(page, 70, 2),
        "nows": le_uint(page, 72, 2),
        "endgid": le_uint(page, 102, 2),
    }
    return _build(fields, formats, format_index(page[26]))
