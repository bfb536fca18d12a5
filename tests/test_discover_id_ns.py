"""Identify Namespace: every real and emulated capture (JSON, text, -H text, raw page) and the
IU fields."""

from pathlib import Path

import pytest

from nvmeprobe.discover.id_ns import LbaFormat, format_index, parse_id_ns
from nvmeprobe.errors import InputError

FIX = Path(__file__).parent / "fixtures"
REAL = FIX / "real" / "id-ns"
EMU = FIX / "emulated"

# file -> (nsze, nsfeat, lba_size, npwg, npwa, npdg, npda, nows,
#          write_granularity_bytes, optimal_write_bytes)
CASES = {
    REAL / "salutepop__Notes__enable_fdp.md__id-ns_PM9D3_excerpt_L136-175.txt": (
        0x36B9D996,
        0x1A,
        4096,
        31,
        0,
        31,
        0,
        31,
        131072,
        131072,
    ),
    REAL / "nvme-cli-issue2173__SAMSUNG_MZTL27T6HBLA-00A07.txt": (
        0x37E3E92B0,
        0x1A,
        512,
        255,
        7,
        255,
        7,
        255,
        131072,
        131072,
    ),
    REAL / "xiongyw-docs__Crucial_CT2000P3PSSD8__512B-lbaf0.txt": (
        0xE8E088B0,
        0x18,
        512,
        7,
        7,
        7,
        7,
        7,
        4096,
        4096,
    ),
    REAL / "xiongyw-docs__Crucial_CT2000P3PSSD8__4K-lbaf1-after-format.txt": (
        0x1D1C1116,
        0x18,
        4096,
        0,
        0,
        0,
        0,
        0,
        4096,
        4096,
    ),
    REAL / "nvme-cli-issue2710__SKhynix_PC801_1TB__nsfeat0.txt": (
        0x773BD2B0,
        0,
        512,
        None,
        None,
        None,
        None,
        None,
        None,
        None,
    ),
    REAL / "nvme-cli-issue816__SKHynix_HFS512GD9TNG-L5B0B_PC601__nsfeat0.txt": (
        0x3B9E12B0,
        0,
        512,
        None,
        None,
        None,
        None,
        None,
        None,
        None,
    ),
    REAL / "linux-fsdevel-lore-8ce0068d__KIOXIA-IBM_800GB_NVMe_Gen4_U.2_REV.C9S2__ELIDED.txt": (
        0x18FFFF3,
        0x14,
        4096,
        None,
        None,
        None,
        None,
        None,
        None,
        None,
    ),
    REAL / "jpetrucciani__nvme-exporter__id_ns.bin": (
        3907029168,
        0,
        512,
        None,
        None,
        None,
        None,
        None,
        None,
        None,
    ),
    EMU / "nvmet-tcp-iu16k" / "id-ns.json": (65536, 18, 4096, 3, 3, 3, 3, 15, 16384, 65536),
    EMU / "qemu7-nvme" / "nvme-id-ns.json": (262144, 0x14, 4096, 0, 0, 3, 3, 0, 4096, 4096),
    EMU / "qemu7-nvme" / "min-id-ns.json": (262144, 0x14, 4096, 0, 0, 3, 3, 0, 4096, 4096),
    EMU / "qemu7-nvme" / "nvme-id-ns-H.txt": (0x40000, 0x14, 4096, 0, 0, 3, 3, 0, 4096, 4096),
    EMU / "qemu10-nvme-ocp" / "nvme-id-ns.json": (262144, 0x34, 4096, 0, 0, 3, 3, 0, 4096, 4096),
    EMU / "qemu10-nvme-ocp" / "nvme-id-ns-H.txt": (0x40000, 0x34, 4096, 0, 0, 3, 3, 0, 4096, 4096),
}


@pytest.mark.parametrize("path", sorted(CASES), ids=lambda p: p.name)
def test_id_ns_capture(path: Path) -> None:
    nsze, nsfeat, lba, npwg, npwa, npdg, npda, nows, gran, optimal = CASES[path]
    ns = parse_id_ns(path.read_bytes())
    assert (ns.nsze, ns.nsfeat, ns.lba_size) == (nsze, nsfeat, lba)
    assert (ns.npwg, ns.npwa, ns.npdg, ns.npda, ns.nows) == (npwg, npwa, npdg, npda, nows)
    assert ns.write_granularity_bytes == gran
    assert ns.optimal_write_bytes == optimal


def test_every_id_ns_capture_is_covered() -> None:
    captured = set(REAL.iterdir()) | set(EMU.glob("*/*id-ns*"))
    assert captured == set(CASES)


def test_pm9d3a_text_gives_128k_iu_and_details() -> None:
    ns = parse_id_ns(
        (REAL / "salutepop__Notes__enable_fdp.md__id-ns_PM9D3_excerpt_L136-175.txt").read_bytes()
    )
    assert ns.write_granularity_bytes == 131072
    assert ns.write_alignment_bytes == 4096
    assert ns.deallocate_granularity_bytes == 131072
    assert ns.nvmcap == 3760740458496 and ns.nawun == 63 and ns.endgid == 1
    assert ns.lba_formats == (LbaFormat(4096, 0), LbaFormat(4096, 64))


def test_samsung_mztl_granularity_and_alignment_at_512b_lba() -> None:
    ns = parse_id_ns((REAL / "nvme-cli-issue2173__SAMSUNG_MZTL27T6HBLA-00A07.txt").read_bytes())
    assert ns.lba_size == 512
    assert ns.write_granularity_bytes == 131072
    assert ns.write_alignment_bytes == 4096
    assert ns.deallocate_alignment_bytes == 4096
    assert ns.size_bytes == 0x37E3E92B0 * 512 == 7681501126656


def test_elided_text_uses_the_in_use_marker_and_leaves_missing_fields_unknown() -> None:
    ns = parse_id_ns(
        (
            REAL
            / "linux-fsdevel-lore-8ce0068d__KIOXIA-IBM_800GB_NVMe_Gen4_U.2_REV.C9S2__ELIDED.txt"
        ).read_bytes()
    )
    assert ns.format_index == 0 and len(ns.lba_formats) == 6
    assert ns.lba_formats[2] == LbaFormat(512, 0)
    assert ns.nuse == 0 and ns.noiob is None


def test_raw_page_sk_hynix_p41() -> None:
    ns = parse_id_ns((REAL / "jpetrucciani__nvme-exporter__id_ns.bin").read_bytes())
    assert ns.nsze == ns.nuse == 3907029168  # 2 TB (2,000,398,934,016 bytes) at 512 B
    assert ns.size_bytes == 2000398934016
    assert ns.lba_formats == (LbaFormat(512, 0), LbaFormat(4096, 0))
    assert ns.boundary_bytes is None


def _page(**fields: int) -> bytearray:
    page = bytearray(4096)
    page[0:8] = (1000).to_bytes(8, "little")
    page[25] = 1  # two formats: 512 and 4096
    page[128:132] = bytes([0, 0, 9, 0])
    page[132:136] = bytes([8, 0, 12, 0])
    offsets = {
        "nsfeat": (24, 1),
        "flbas": (26, 1),
        "noiob": (46, 2),
        "npwg": (64, 2),
        "npwa": (66, 2),
        "npdg": (68, 2),
        "npda": (70, 2),
        "nows": (72, 2),
        "endgid": (102, 2),
    }
    for name, value in fields.items():
        off, size = offsets[name]
        page[off : off + size] = value.to_bytes(size, "little")
    return page


def test_raw_page_optperf_fields_decode_by_spec_offsets() -> None:
    ns = parse_id_ns(
        bytes(
            _page(
                nsfeat=0x10, flbas=1, npwg=3, npwa=1, npdg=15, npda=3, nows=31, noiob=64, endgid=2
            )
        )
    )
    assert ns.lba_size == 4096 and ns.lba_formats[1] == LbaFormat(4096, 8)
    assert ns.write_granularity_bytes == 16384 and ns.write_alignment_bytes == 8192
    assert ns.deallocate_granularity_bytes == 65536 and ns.deallocate_alignment_bytes == 16384
    assert ns.optimal_write_bytes == 131072 and ns.boundary_bytes == 262144 and ns.endgid == 2


def test_optperf_fields_ignored_without_nsfeat_bit_4() -> None:
    ns = parse_id_ns(bytes(_page(nsfeat=0x20, npwg=3, nows=7)))
    assert ns.npwg is None and ns.nows is None and ns.write_granularity_bytes is None


def test_json_without_optperf_keys_means_not_reported() -> None:
    ns = parse_id_ns(
        b'{"nsze": 8, "nsfeat": 16, "flbas": 0, "lbafs": [{"ms": 0, "ds": 12, "rp": 0}]}'
    )
    assert ns.npwg is None and ns.write_granularity_bytes is None and ns.size_bytes == 32768


@pytest.mark.parametrize("flbas,index", [(0x04, 4), (0x14, 4), (0x21, 17), (0x60, 48), (0x0F, 15)])
def test_flbas_index_uses_upper_bits_5_and_6(flbas: int, index: int) -> None:
    assert format_index(flbas) == index


@pytest.mark.parametrize("bad", [b"", b"[]", b'{"mn": "x"}', b"hello: world", b"\x00" * 100])
def test_bad_input_raises_input_error(bad: bytes) -> None:
    with pytest.raises(InputError):
        parse_id_ns(bad)
