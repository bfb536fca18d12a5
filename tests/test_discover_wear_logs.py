"""OCP C0, endurance-group and vendor extended SMART logs: media bytes written (the WAF
numerator)."""

from pathlib import Path

import pytest

from nvmeprobe.discover.endurance_log import parse_endurance_log
from nvmeprobe.discover.ocp_log import OcpSmartLog, parse_ocp_smart_log
from nvmeprobe.discover.vendor_smart import parse_vendor_smart
from nvmeprobe.errors import InputError

FIX = Path(__file__).parent / "fixtures"
OCP = FIX / "real" / "ocp-smart-add-log"
OTHER = FIX / "real" / "other"
CL = "facebook__CacheLib__NandWritesTest.cpp__"
MIB32 = 32 * 1024 * 1024

OCP_CASES = {
    OCP / f"{CL}handlesOcpSupportedDevice_ModelListed__kSmartLogOutputOcp.txt": OcpSmartLog(
        80410014056448, 84923571298304, 0, 23175501818990592, 34, 25, 100, 3
    ),
    OCP / f"{CL}handlesOcpSupportedDevice_ModelNotListed__kSmartLogOutputOcp.txt": OcpSmartLog(
        88403820249088, 101477049159680, 0, 25319737374277632, 37, 28, 100, 3
    ),
    OCP / "opencomputeproject__ocp-diag-autoval-ssd__nvme_ocp_command.json": OcpSmartLog(
        39074645999616, 36265469677568, 0, 20100000, 45, 16, 1, 2
    ),
    FIX / "emulated" / "qemu10-nvme-ocp" / "nvme-ocp-smart-add-log.json": OcpSmartLog(
        0, 16384, 0, 0, 0, 0, 0, 5
    ),
}


@pytest.mark.parametrize("path", sorted(OCP_CASES), ids=lambda p: p.name)
def test_ocp_capture(path: Path) -> None:
    assert parse_ocp_smart_log(path.read_bytes()) == OCP_CASES[path]


def test_every_ocp_capture_is_covered() -> None:
    assert set(OCP.iterdir()) | {
        FIX / "emulated" / "qemu10-nvme-ocp" / "nvme-ocp-smart-add-log.json"
    } == set(OCP_CASES)


def test_ocp_snake_case_keys_and_single_128_bit_number() -> None:
    big = (7 << 64) | 99
    doc = (
        f'{{"physical_media_units_written": {big},'
        ' "physical_media_units_read": {"hi": 1, "lo": 2},'
        ' "unaligned_io": 12, "endurance_estimate": "340282366920938463463374607431768211455",'
        ' "max_user_data_erase_count": 9, "min_user_data_erase_count": 3,'
        ' "percent_free_blocks": 40,'
        f' "log_page_version": 4}}'
    )
    log = parse_ocp_smart_log(doc.encode())
    assert log.media_bytes_written == big
    assert log.media_bytes_read == (1 << 64) | 2
    assert log.endurance_estimate == 2**128 - 1
    assert (
        log.unaligned_io,
        log.max_erase_count,
        log.min_erase_count,
        log.percent_free_blocks,
        log.log_page_version,
    ) == (12, 9, 3, 40, 4)


@pytest.mark.parametrize(
    "bad", [b"", b'{"Unaligned I/O": 3}', b"SMART Cloud Attributes :-\n", b"{oops"]
)
def test_ocp_bad_input(bad: bytes) -> None:
    with pytest.raises(InputError):
        parse_ocp_smart_log(bad)


def test_emulated_qemu7_ocp_failure_is_empty_output() -> None:
    with pytest.raises(InputError):
        parse_ocp_smart_log(
            (FIX / "emulated" / "qemu7-nvme" / "nvme-ocp-smart-add-log.json").read_bytes()
        )


# SYNTHETIC: no real `nvme endurance-log -o json` capture exists (INDEX.md). Key names are
# nvme-cli's; values are made up; units are billions of bytes per the NVMe Base spec.
SYNTHETIC_ENDURANCE_LOG = b"""{
  "critical_warning": 0, "endurance_group_features": 0, "avl_spare": 97, "avl_spare_threshold": 10,
  "percent_used": 12, "domain_identifier": 0, "endurance_estimate": 14016000,
  "data_units_read": 1234, "data_units_written": 800000, "media_units_written": 1360000,
  "host_read_cmds": 5555, "host_write_cmds": 777777, "media_data_integrity_err": 0,
  "num_err_info_log_entries": 2, "total_end_grp_cap": 0, "unalloc_end_grp_cap": 0
}"""


def test_endurance_group_log_synthetic() -> None:
    group = parse_endurance_log(SYNTHETIC_ENDURANCE_LOG, 1)
    assert group.group_id == 1 and group.percent_used == 12
    assert group.available_spare == 97 and group.available_spare_threshold == 10
    assert group.endurance_estimate_bytes == 14016000 * 10**9
    assert group.host_bytes_written == 800000 * 10**9
    assert group.media_bytes_written == 1360000 * 10**9
    assert group.host_write_commands == 777777 and group.media_errors == 0
    assert group.to_dict()["media_bytes_written"] == 1_360_000_000_000_000


def test_endurance_group_zero_estimate_is_not_reported() -> None:
    group = parse_endurance_log(b'{"media_units_written": 0, "endurance_estimate": 0}', 2)
    assert group.endurance_estimate_bytes is None and group.media_bytes_written == 0


@pytest.mark.parametrize("bad", [b"{}", b"[]", b"not json"])
def test_endurance_group_bad_input(bad: bytes) -> None:
    with pytest.raises(InputError):
        parse_endurance_log(bad, 1)


# file -> (format, media_bytes_written, host_bytes_written)
VENDOR = {
    OTHER / f"{CL}handlesIntelDevice__kSmartLogOutput.txt": (
        "intel",
        224943088 * MIB32,
        172365270 * MIB32,
    ),
    OTHER / "nvme-cli-issue814__HPE_MO001600KWVUU__intel-smart-log-add.txt": (
        "intel",
        40262 * MIB32,
        45197 * MIB32,
    ),
    OTHER / f"{CL}handlesLiteonDevice__kSmartLogOutput.txt": ("liteon", 157035510104064, None),
    OTHER / f"{CL}handlesSamsungDevice__kSmartLogOutput.txt": ("samsung", 5357954930143232, None),
    OTHER / f"{CL}handlesSamsungPM983aDevice__kSmartLogOutput.txt": (
        "samsung",
        35061362294784,
        None,
    ),
    OTHER / f"{CL}handlesSamsungPM9A3Device__kSmartLogOutput.txt": ("samsung", 241393664, None),
    OTHER / f"{CL}handlesSeagateDevice__kSmartLogOutput.txt": (
        "seagate",
        0x2D0CDC01B * 512_000,
        0xEFB8D568 * 512_000,
    ),
    OTHER / f"{CL}handlesToshibaDevice__kSmartLogOutput.txt": (
        "toshiba",
        1217620973558170,
        None,
    ),  # 1133997.9 GiB = 1,217,620,973,558,169.6 B, rounded
    OTHER / f"{CL}handlesWesternDigitalDevice__kSmartLogOutput.txt": (
        "ocp-text",
        609651339018240,
        None,
    ),
    OTHER / f"{CL}handlesSkhmsDevice__kSmartLogOutput.txt": ("skhms", None, None),
}


@pytest.mark.parametrize("path", sorted(VENDOR), ids=lambda p: p.name)
def test_vendor_smart_capture(path: Path) -> None:
    fmt, media, host = VENDOR[path]
    log = parse_vendor_smart(path.read_bytes())
    assert (log.format, log.media_bytes_written, log.host_bytes_written) == (fmt, media, host)


def test_every_vendor_capture_is_covered() -> None:
    assert set(OTHER.glob("*kSmartLogOutput.txt")) | set(OTHER.glob("*smart-log-add.txt")) == set(
        VENDOR
    )


def test_vendor_key_values_are_kept() -> None:
    skhms = parse_vendor_smart(
        (OTHER / f"{CL}handlesSkhmsDevice__kSmartLogOutput.txt").read_bytes()
    )
    assert skhms.fields["physicalmediaunitswrittentlc"] == "484533969"
    assert skhms.fields["physicalmediaunitswrittenslc"] == "12271117"
    assert skhms.fields["enduranceestimate"] == "300000"
    seagate = parse_vendor_smart(
        (OTHER / f"{CL}handlesSeagateDevice__kSmartLogOutput.txt").read_bytes()
    )
    assert seagate.fields["userdataerasecounts"] == "0x00000b4800000a0c"
    samsung = parse_vendor_smart(
        (OTHER / f"{CL}handlesSamsungDevice__kSmartLogOutput.txt").read_bytes()
    )
    assert samsung.fields["userdataerasecountmax"] == "2497"
    toshiba = parse_vendor_smart(
        (OTHER / f"{CL}handlesToshibaDevice__kSmartLogOutput.txt").read_bytes()
    )
    assert toshiba.fields["userdataerasecountmax"] == "570"
    wdc = parse_vendor_smart(
        (OTHER / f"{CL}handlesWesternDigitalDevice__kSmartLogOutput.txt").read_bytes()
    )
    assert wdc.fields["plpstartcount"] == "42"


def test_vendor_empty_input() -> None:
    with pytest.raises(InputError):
        parse_vendor_smart(b"\n\n")
