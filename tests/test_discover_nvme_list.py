"""nvme list parsing: every real and emulated `nvme list` capture, flat, nested and text."""

from pathlib import Path

import pytest

from nvmeprobe.discover.nvme_list import ListedNamespace, parse_nvme_list, pick_namespace
from nvmeprobe.errors import InputError

FIX = Path(__file__).parent / "fixtures"
REAL = FIX / "real" / "nvme-list"
CL = "facebook__CacheLib__NandWritesTest.cpp__"

# file -> (number of namespaces, first device, model, serial, firmware, size_bytes,
#          logical_block_size)
FLAT = {
    f"{CL}handlesIntelDevice__kListOutput.json": (
        1,
        "/dev/nvme0n1",
        "INTEL SSDPEDME016T4F",
        "CVMD7426005S1P6SGN",
        "8DV1FF05",
        1600321314816,
        4096,
    ),
    f"{CL}handlesLiteonDevice__kListOutput.json": (
        3,
        "/dev/nvme0n1",
        "KXD51LN11T92 TOSHIBA",
        "69DS10OHT7RQ",
        "1CET6105",
        1920383410176,
        4096,
    ),
    f"{CL}handlesOcpSupportedDevice_ModelListed__kListOutput.json": (
        1,
        "/dev/nvme0n1",
        "WUS6A7619PJP8X7",
        "232439E0007010",
        "RG109W08",
        1920383410176,
        4096,
    ),
    f"{CL}handlesOcpSupportedDevice_ModelNotListed__kListOutput.json": (
        1,
        "/dev/nvme0n1",
        "HFS11111ABC",
        "1424BID4T0001I020A16",
        "51096F10",
        1920924123136,
        4096,
    ),
    f"{CL}handlesSamsungDevice__kListOutput.json": (
        1,
        "/dev/nvme0n1",
        "SAMSUNG MZ1LB1T9HALS-000FB",
        "S41RNF0M207885",
        "EDA78F2Q",
        1880375648256,
        4096,
    ),
    f"{CL}handlesSamsungPM983aDevice__kListOutput.json": (
        3,
        "/dev/nvme0n1",
        "WDC CL SN720 SDAQNTW-512G-1020",
        "200405805037",
        "10105120",
        512110190592,
        512,
    ),
    f"{CL}handlesSamsungPM9A3Device__kListOutput.json": (
        3,
        "/dev/nvme0n1",
        "MTFDHBA512TCK",
        "21062E6B8061",
        "P1FB007",
        512110190592,
        512,
    ),
    f"{CL}handlesSeagateDevice__kListOutput.json": (
        1,
        "/dev/nvme0n1",
        "XM1441-1AB112048",
        "HE6016KT",
        "PA00FB0C",
        1920383410176,
        4096,
    ),
    f"{CL}handlesSkhmsDevice__kListOutput.json": (
        3,
        "/dev/nvme0n1",
        "HFS512GDE9X083N",
        "CN08Q749810308S3J",
        "41021C20",
        512110190592,
        512,
    ),
    f"{CL}handlesToshibaDevice__kListOutput.json": (
        1,
        "/dev/nvme0n1",
        "KXD51LN11T92 TOSHIBA",
        "69DS10OHT7RQ",
        "1CET6105",
        1920383410176,
        4096,
    ),
    f"{CL}handlesWesternDigitalDevice__kListOutput.json": (
        1,
        "/dev/nvme1n1",
        "WUS4BB019D4M9E7",
        "44203690005610",
        "R9109005",
        500107862016,
        4096,
    ),
    "netdata__netdata__v2.3_nvme-list.json": (
        2,
        "/dev/nvme0n1",
        "Seagate FireCuda 530 ZP4000GM30023",
        "XXX00YYY",
        "SU6SM001",
        4000787030016,
        512,
    ),
    "opencomputeproject__ocp-diag-autoval-ssd__nvme_list.json": (
        1,
        "/dev/nvme0n1",
        "Unknown",
        "Sxxxxx",
        "X123",
        512110190592,
        4096,
    ),
}


@pytest.mark.parametrize("name", sorted(FLAT))
def test_flat_nvme_list(name: str) -> None:
    count, device, model, serial, firmware, size, lbs = FLAT[name]
    listed = parse_nvme_list((REAL / name).read_bytes())
    assert len(listed) == count
    assert listed[0] == ListedNamespace(device, model, serial, firmware, size, lbs)


def test_every_real_nvme_list_json_is_covered() -> None:
    on_disk = {p.name for p in REAL.glob("*.json")}
    assert on_disk == set(FLAT) | {"netdata__netdata__v2.11_nvme-list.json"}


def test_nested_v2_11_format() -> None:
    listed = parse_nvme_list((REAL / "netdata__netdata__v2.11_nvme-list.json").read_bytes())
    assert [ns.device for ns in listed] == ["/dev/nvme0n1", "/dev/nvme1n1", "/dev/nvme2n1"]
    assert listed[2] == ListedNamespace(
        "/dev/nvme2n1",
        "Seagate FireCuda 530 ZP4000GM30023",
        "7VS00KNX",
        "SU6SM001",
        4000787030016,
        512,
    )
    assert listed[0].firmware == "SU6SM005"


def test_nested_multipath_namespace_under_subsystem() -> None:
    doc = (
        '{"Devices":[{"HostNQN":"h","Subsystems":[{"Subsystem":"nvme-subsys0","Controllers":'
        '[{"Controller":"nvme0","SerialNumber":"S1 ","ModelNumber":"M1  ","Firmware":"F1",'
        '"Namespaces":[]}],'
        '"Namespaces":[{"NameSpace":"nvme0n1","PhysicalSize":8192,"SectorSize":4096}]}]}]}'
    )
    assert parse_nvme_list(doc) == [ListedNamespace("/dev/nvme0n1", "M1", "S1", "F1", 8192, 4096)]


@pytest.mark.parametrize(
    "folder,name,model,serial,firmware,size",
    [
        ("qemu7-nvme", "nvme-list.json", "QEMU NVMe Ctrl", "deadbeef", "7.2.22", 1073741824),
        ("qemu10-nvme-ocp", "nvme-list.json", "QEMU NVMe Ctrl", "deadbeef", "10.0.2", 1073741824),
        ("nvmet-tcp-iu16k", "list.json", "Linux", "a436d6c2eac59d459ba1", "6.1.0-56", 268435456),
    ],
)
def test_emulated_nvme_list(
    folder: str, name: str, model: str, serial: str, firmware: str, size: int
) -> None:
    listed = parse_nvme_list((FIX / "emulated" / folder / name).read_bytes())
    assert listed == [ListedNamespace("/dev/nvme0n1", model, serial, firmware, size, 4096)]


def test_text_table_ocp_autoval() -> None:
    listed = parse_nvme_list(
        (
            FIX / "real" / "other" / "opencomputeproject__ocp-diag-autoval-ssd__nvme_list.txt"
        ).read_bytes()
    )
    assert len(listed) == 7
    assert listed[0] == ListedNamespace(
        "/dev/nvme0n1", "HFS256GD9TNG-62A0A", "MN95N637910306E2I", "80003E00", None, 4096
    )
    assert listed[6].serial == "S41RNE0M604448" and listed[6].model == "MZ1LB1T9HALS-000FB"


def test_text_table_with_generic_column_inside_markdown() -> None:
    text = (FIX / "real" / "other" / "salutepop__Notes__enable_fdp.md").read_text()
    listed = parse_nvme_list(text)
    assert [ns.device for ns in listed] == ["/dev/nvme0n1", "/dev/nvme1n1", "/dev/nvme1n2"]
    assert listed[0].model == "INTEL SSDPED1K375GA" and listed[0].firmware == "E2010485"
    assert listed[2].model == "MZOL63T8HDLT-00AFB" and listed[2].logical_block_size == 4096


def test_pick_namespace() -> None:
    listed = parse_nvme_list((REAL / f"{CL}handlesLiteonDevice__kListOutput.json").read_bytes())
    assert pick_namespace(listed, "/dev/nvme2n1").serial == "002303560014FA0C"
    assert pick_namespace(listed, "/dev/nvme9n1") is None
    assert pick_namespace(listed[:1], "/dev/whatever") == listed[0]


@pytest.mark.parametrize("bad", [b"", b"{}", b'{"Devices": 3}', b"{not json", b"no table here"])
def test_bad_input_raises_input_error(bad: bytes) -> None:
    with pytest.raises(InputError):
        parse_nvme_list(bad)
