"""SMART / Health log: every real and emulated nvme-cli capture (1.x/2.3/2.11 JSON, text,
raw page)."""

from pathlib import Path

import pytest

from nvmeprobe.discover.smart_log import parse_smart_log, parse_smart_log_text
from nvmeprobe.discover.values import DATA_UNIT_BYTES
from nvmeprobe.errors import InputError

FIX = Path(__file__).parent / "fixtures"
REAL = FIX / "real" / "smart-log"
EMU = FIX / "emulated"

# file -> (critical_warning, temperature_c, spare, spare_threshold, percent_used,
#          data_units_written, host_write_commands, power_on_hours, unsafe_shutdowns)
CASES = {
    REAL / "NekoYos__nvme-exporter__smart-log.json": (
        0,
        49,
        100,
        50,
        2,
        21724857,
        236864267,
        3563,
        513,
    ),
    REAL / "grantcurell-nvme-log-pages__Dell_Express_Flash_P4610_3.2TB_SFF.txt": (
        0,
        26,
        100,
        10,
        0,
        255875492,
        1620770593,
        5219,
        99,
    ),
    REAL / "jpetrucciani__nvme-exporter__smart.bin": (
        0,
        57,
        100,
        10,
        0,
        24219241,
        264837748,
        28414,
        91,
    ),
    REAL / "netdata__netdata__v2.11_nvme-smart-log.json": (
        0,
        51,
        100,
        5,
        30,
        1928683480,
        24273507789,
        24424,
        49,
    ),
    REAL / "netdata__netdata__v2.3_nvme-smart-log.json": (
        0,
        37,
        100,
        5,
        2,
        136157684,
        1928062610,
        4974,
        39,
    ),
    REAL / "opencomputeproject__ocp-diag-autoval-ssd__nvme_smartlog.json": (
        0,
        33,
        100,
        10,
        0,
        47217872,
        96126428,
        1244,
        52,
    ),
    FIX / "real" / "other" / "salutepop__fdp__cachebench_reproduce_fdp_smart.txt": (
        0,
        44,
        100,
        10,
        0,
        278550091,
        23068831426,
        915,
        68,
    ),
    EMU / "qemu7-nvme" / "nvme-smart-log.json": (0, 50, 0, 0, 0, 0, 0, 0, 0),
    EMU / "qemu10-nvme-ocp" / "nvme-smart-log.json": (0, 50, 0, 0, 0, 0, 0, 0, 0),
    EMU / "nvmet-tcp-iu16k" / "smart-log.json": (0, None, 0, 0, 0, 0, 0, 0, 0),
}


@pytest.mark.parametrize("path", sorted(CASES), ids=lambda p: p.name)
def test_smart_log_capture(path: Path) -> None:
    cw, temp, spare, thresh, used, duw, hwc, poh, unsafe = CASES[path]
    log = parse_smart_log(path.read_bytes())
    assert (
        log.critical_warning,
        log.temperature_c,
        log.available_spare,
        log.available_spare_threshold,
        log.percent_used,
    ) == (cw, temp, spare, thresh, used)
    assert (
        log.data_units_written,
        log.host_write_commands,
        log.power_on_hours,
        log.unsafe_shutdowns,
    ) == (duw, hwc, poh, unsafe)
    assert log.host_bytes_written == duw * 512_000


def test_every_smart_log_capture_is_covered() -> None:
    captured = set(REAL.iterdir()) | set(EMU.glob("*/*smart-log.json")) - set(EMU.glob("*/*ocp*"))
    assert captured | {
        FIX / "real" / "other" / "salutepop__fdp__cachebench_reproduce_fdp_smart.txt"
    } == set(CASES)


def test_raw_page_all_counters() -> None:
    log = parse_smart_log((REAL / "jpetrucciani__nvme-exporter__smart.bin").read_bytes())
    assert log.data_units_read == 10151565 and log.host_read_commands == 92448910
    assert log.power_cycles == 106 and log.media_errors == 0 and log.error_log_entries == 0
    assert 0 < log.temperature_c < 90  # 330 K


def test_text_with_two_snapshots_gives_both_in_order() -> None:
    text = (
        FIX / "real" / "other" / "salutepop__fdp__cachebench_reproduce_fdp_smart.txt"
    ).read_text()
    before, after = parse_smart_log_text(text)
    assert (before.data_units_written, before.temperature_c, before.power_on_hours) == (
        272978276,
        42,
        912,
    )
    assert after.data_units_written - before.data_units_written == 5571815
    assert before.data_units_read == 568895017 and before.error_log_entries == 13


def test_v1_typo_key_and_v2_11_object_critical_warning() -> None:
    assert parse_smart_log(b'{"critical_warrning": 4, "temperature": 300}').critical_warning == 4
    assert (
        parse_smart_log(
            b'{"critical_warning": {"value": 9, "ro": 1}, "temperature": 300}'
        ).critical_warning
        == 9
    )


def test_counters_above_2_64_stay_exact() -> None:
    big = 2**64 * 3 + 12345
    log = parse_smart_log(
        f'{{"critical_warning": 0, "temperature": 300, "data_units_written": {big},'
        f' "data_units_read": "{big + 1}"}}'.encode()
    )
    assert log.data_units_written == big and log.data_units_read == big + 1
    assert log.host_bytes_written == big * DATA_UNIT_BYTES
    page = bytearray(512)
    page[48:64] = big.to_bytes(16, "little")
    assert parse_smart_log(bytes(page)).data_units_written == big


def test_text_with_comma_grouped_counters_and_kelvin() -> None:
    log = parse_smart_log(
        b"Smart Log for NVME device:nvme0 namespace-id:ffffffff\n"
        b"critical_warning : 0x4\ntemperature : 315 K (42 \xc2\xb0C)\n"
        b"data_units_written : 1,234,567 (632.10 GB)\npercentage_used : 91%\n"
    )
    assert (log.critical_warning, log.temperature_c, log.data_units_written, log.percent_used) == (
        4,
        42,
        1234567,
        91,
    )


@pytest.mark.parametrize(
    "bad", [b"", b"[1]", b'{"foo": 1}', b'{"data_units_written": 1.5}', b"\x01" + b"\x00" * 100]
)
def test_bad_input_raises_input_error(bad: bytes) -> None:
    with pytest.raises(InputError):
        parse_smart_log(bad)
