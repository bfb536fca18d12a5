"""smartctl -j: all 64 real captures (61 with an NVMe SMART log, 1 info-only, 2 scans).

The expected (model, percent used, data units written, power-on hours) per file come from
tests/fixtures/real/INDEX.md, written when the fixtures were collected.
"""

from pathlib import Path

import pytest

from nvmeprobe.discover.smartctl import ScannedDevice, parse_smartctl, parse_smartctl_scan
from nvmeprobe.errors import InputError

SMARTCTL = Path(__file__).parent / "fixtures" / "real" / "smartctl-json"
PC = "prometheus-community__smartctl_exporter__"

# file -> (model, percent_used, data_units_written, power_on_hours)
WITH_LOG = {
    "AnalogJ__scrutiny__smart-nvme-failed.json": ("Samsung SSD 970 EVO 500GB", 3, 65602088, 12798),
    "AnalogJ__scrutiny__smart-nvme.json": ("INTEL SSDPEKNW010T8", 0, 7773431, 2401),
    "AnalogJ__scrutiny__smart-nvme2.json": ("Force MP510", 1, 16093122, 6487),
    "influxdata__telegraf__smartctl_testcases_device_nvme_response.json": (
        "Sabrent Rocket 4.0 1TB",
        4,
        76471882,
        8733,
    ),
    "netdata__netdata__device-nvme0.json": ("Seagate FireCuda 530 ZP4000GM30023", 0, 0, 3113),
    "netdata__netdata__device-nvme1.json": ("Seagate FireCuda 530 ZP4000GM30023", 0, 0, 4733),
    "prometheus-community__smartctl_exporter__INTEL_SSDPE2KX080T8_1.json": (
        "INTEL SSDPE2KX080T8",
        0,
        184919244,
        12164,
    ),
    "prometheus-community__smartctl_exporter__INTEL_SSDPE2KX080T8_3.json": (
        "INTEL SSDPE2KX080T8",
        0,
        147215516,
        12164,
    ),
    "prometheus-community__smartctl_exporter__INTEL_SSDPE2KX080T8_4.json": (
        "INTEL SSDPE2KX080T8",
        0,
        103902180,
        12164,
    ),
    "prometheus-community__smartctl_exporter__INTEL_SSDPE2KX080T8_5.json": (
        "INTEL SSDPE2KX080T8",
        0,
        157616049,
        12671,
    ),
    "prometheus-community__smartctl_exporter__INTEL_SSDPE2KX080T8_6.json": (
        "INTEL SSDPE2KX080T8",
        0,
        223891595,
        12671,
    ),
    "prometheus-community__smartctl_exporter__INTEL_SSDPE2KX080T8_7.json": (
        "INTEL SSDPE2KX080T8",
        0,
        171147998,
        12671,
    ),
    "prometheus-community__smartctl_exporter__KXG60ZNV512G_TOSHIBA_2.json": (
        "KXG60ZNV512G TOSHIBA",
        1,
        3861802,
        12173,
    ),
    "prometheus-community__smartctl_exporter__KXG60ZNV512G_TOSHIBA_8.json": (
        "KXG60ZNV512G TOSHIBA",
        4,
        5578530,
        12728,
    ),
    "prometheus-community__smartctl_exporter__SAMSUNG_MZQLB1T9HAJR-00007_19.json": (
        "SAMSUNG MZQLB1T9HAJR-00007",
        0,
        44965392,
        20701,
    ),
    "prometheus-community__smartctl_exporter__SAMSUNG_MZQLB1T9HAJR-00007_20.json": (
        "SAMSUNG MZQLB1T9HAJR-00007",
        0,
        48131060,
        20701,
    ),
    "prometheus-community__smartctl_exporter__SAMSUNG_MZVL21T0HCLR-00B00_23.json": (
        "SAMSUNG MZVL21T0HCLR-00B00",
        16,
        113662783,
        10423,
    ),
    "prometheus-community__smartctl_exporter__SAMSUNG_MZVL21T0HCLR-00B00_24.json": (
        "SAMSUNG MZVL21T0HCLR-00B00",
        16,
        118137665,
        10407,
    ),
    "prometheus-community__smartctl_exporter__nvme-null-CT250P2SSD8-nvme0.json": (
        "CT250P2SSD8",
        0,
        1002900,
        10147,
    ),
    "prometheus-community__smartctl_exporter__nvme-null-HUSMR7632BHP301-nvme0.json": (
        "HUSMR7632BHP301",
        5,
        2824080560,
        482,
    ),
    "prometheus-community__smartctl_exporter__nvme-null-INTEL_MEMPEK1W032GA-nvme0.json": (
        "INTEL MEMPEK1W032GA",
        1,
        4744607,
        41159,
    ),
    "prometheus-community__smartctl_exporter__nvme-null-INTEL_SSDPE2KE016T8-nvme0.json": (
        "INTEL SSDPE2KE016T8",
        0,
        13140871,
        4236,
    ),
    "prometheus-community__smartctl_exporter__nvme-null-INTEL_SSDPE2KE020T7-nvme0.json": (
        "INTEL SSDPE2KE020T7",
        3,
        577364942,
        26055,
    ),
    "prometheus-community__smartctl_exporter__nvme-null-INTEL_SSDPE2KE032T8-nvme0.json": (
        "INTEL SSDPE2KE032T8",
        0,
        41911765,
        4643,
    ),
    "prometheus-community__smartctl_exporter__nvme-null-INTEL_SSDPE2KX010T8-nvme1.json": (
        "INTEL SSDPE2KX010T8",
        73,
        5165815292,
        8843,
    ),
    "prometheus-community__smartctl_exporter__nvme-null-INTEL_SSDPE2KX020T7-nvme6.json": (
        "INTEL SSDPE2KX020T7",
        75,
        5014522069,
        49441,
    ),
    "prometheus-community__smartctl_exporter__nvme-null-INTEL_SSDPE2KX020T8-nvme2.json": (
        "INTEL SSDPE2KX020T8",
        22,
        2643181154,
        36959,
    ),
    "prometheus-community__smartctl_exporter__nvme-null-INTEL_SSDPE2KX040T8-nvme10.json": (
        "INTEL SSDPE2KX040T8",
        0,
        60648805,
        2434,
    ),
    "prometheus-community__smartctl_exporter__nvme-null-INTEL_SSDPE2MX450G7-nvme0.json": (
        "INTEL SSDPE2MX450G7",
        0,
        6981141,
        22944,
    ),
    "prometheus-community__smartctl_exporter__nvme-null-INTEL_SSDPEDKE020T7-nvme0.json": (
        "INTEL SSDPEDKE020T7",
        18,
        1664146250,
        17259,
    ),
    "prometheus-community__smartctl_exporter__nvme-null-INTEL_SSDPEDMD016T4-nvme0.json": (
        "INTEL SSDPEDMD016T4",
        41,
        32381395004,
        57288,
    ),
    "prometheus-community__smartctl_exporter__nvme-null-INTEL_SSDPEDMD400G4-nvme0.json": (
        "INTEL SSDPEDMD400G4",
        5,
        655012839,
        41951,
    ),
    "prometheus-community__smartctl_exporter__nvme-null-INTEL_SSDPEDMD800G4-nvme0.json": (
        "INTEL SSDPEDMD800G4",
        51,
        15055091656,
        54704,
    ),
    "prometheus-community__smartctl_exporter__nvme-null-INTEL_SSDPEK1A058GA-nvme0.json": (
        "INTEL SSDPEK1A058GA",
        0,
        1081718,
        3752,
    ),
    "prometheus-community__smartctl_exporter__nvme-null-INTEL_SSDPF2KE032T1-nvme0.json": (
        "INTEL SSDPF2KE032T1",
        0,
        39452691,
        4637,
    ),
    "prometheus-community__smartctl_exporter__nvme-null-INTEL_SSDPF2KX038T1-nvme5.json": (
        "INTEL SSDPF2KX038T1",
        0,
        146527728,
        4454,
    ),
    "prometheus-community__smartctl_exporter__nvme-null-INTEL_SSDPF2KX038TZ-nvme4.json": (
        "INTEL SSDPF2KX038TZ",
        0,
        64549952,
        2435,
    ),
    "prometheus-community__smartctl_exporter__nvme-null-MTFDHAX1T6MCE-1AN1ZABYY-nvme0.json": (
        "MTFDHAX1T6MCE-1AN1ZABYY",
        69,
        2184152450,
        29891,
    ),
    "prometheus-community__smartctl_exporter__nvme-null-Micron_7300_MTFDHBE1T6TDG-nvme0.json": (
        "Micron_7300_MTFDHBE1T6TDG",
        0,
        338104,
        5100,
    ),
    "prometheus-community__smartctl_exporter__nvme-null-Micron_7300_MTFDHBE1T9TDF-nvme0.json": (
        "Micron_7300_MTFDHBE1T9TDF",
        9,
        1362255590,
        27233,
    ),
    "prometheus-community__smartctl_exporter__nvme-null-Micron_7300_MTFDHBE3T2TDG-nvme0.json": (
        "Micron_7300_MTFDHBE3T2TDG",
        0,
        165795201,
        3820,
    ),
    "prometheus-community__smartctl_exporter__nvme-null-Micron_7300_MTFDHBE3T8TDF-nvme3.json": (
        "Micron_7300_MTFDHBE3T8TDF",
        2,
        891511465,
        8833,
    ),
    "prometheus-community__smartctl_exporter__nvme-null-Micron_7300_MTFDHBE960TDF-nvme0.json": (
        "Micron_7300_MTFDHBE960TDF",
        10,
        1297577305,
        26686,
    ),
    "prometheus-community__smartctl_exporter__nvme-null-Micron_7400_MTFDKCB1T6TFC-nvme2.json": (
        "Micron_7400_MTFDKCB1T6TFC",
        4,
        1136100893,
        13108,
    ),
    "prometheus-community__smartctl_exporter__nvme-null-Micron_7400_MTFDKCB1T9TDZ-nvme10.json": (
        "Micron_7400_MTFDKCB1T9TDZ",
        5,
        725355323,
        9099,
    ),
    "prometheus-community__smartctl_exporter__nvme-null-Micron_7400_MTFDKCB3T2TFC-nvme2.json": (
        "Micron_7400_MTFDKCB3T2TFC",
        0,
        124370358,
        10346,
    ),
    "prometheus-community__smartctl_exporter__nvme-null-Micron_7400_MTFDKCB3T8TDZ-nvme3.json": (
        "Micron_7400_MTFDKCB3T8TDZ",
        0,
        63334884,
        2436,
    ),
    "prometheus-community__smartctl_exporter__nvme-null-Micron_7450_MTFDKCB3T8TFR-nvme6.json": (
        "Micron_7450_MTFDKCB3T8TFR",
        0,
        27054698,
        150,
    ),
    "prometheus-community__smartctl_exporter__nvme-null-Micron_7450_MTFDKCC3T2TFS-nvme1.json": (
        "Micron_7450_MTFDKCC3T2TFS",
        0,
        1248078,
        2884,
    ),
    "prometheus-community__smartctl_exporter__nvme-null-Micron_7450_MTFDKCC3T8TFR-nvme11.json": (
        "Micron_7450_MTFDKCC3T8TFR",
        0,
        60979236,
        2436,
    ),
    "prometheus-community__smartctl_exporter__nvme-null-Micron_9300_MTFDHAL3T8TDP-nvme0.json": (
        "Micron_9300_MTFDHAL3T8TDP",
        0,
        17746518,
        285,
    ),
    "prometheus-community__smartctl_exporter__nvme-null-SAMSUNG_MZPLJ6T4HALA-00007-nvme0.json": (
        "SAMSUNG MZPLJ6T4HALA-00007",
        0,
        88679,
        861,
    ),
    "prometheus-community__smartctl_exporter__nvme-null-SAMSUNG_MZPLL1T6HAJQ-00005-nvme0.json": (
        "SAMSUNG MZPLL1T6HAJQ-00005",
        6,
        2840371158,
        28074,
    ),
    "prometheus-community__smartctl_exporter__nvme-null-SAMSUNG_MZPLL1T6HEHP-00003-nvme0.json": (
        "SAMSUNG MZPLL1T6HEHP-00003",
        1,
        611904693,
        26605,
    ),
    "prometheus-community__smartctl_exporter__nvme-null-SAMSUNG_MZPLL3T2HAJQ-00005-nvme1.json": (
        "SAMSUNG MZPLL3T2HAJQ-00005",
        0,
        500161695,
        13138,
    ),
    "prometheus-community__smartctl_exporter__nvme-null-SAMSUNG_MZPLL3T2HMLS-00003-nvme1.json": (
        "SAMSUNG MZPLL3T2HMLS-00003",
        6,
        6264387784,
        50235,
    ),
    "prometheus-community__smartctl_exporter__nvme-null-SAMSUNG_MZQL21T9HCJR-00A07-nvme0.json": (
        "SAMSUNG MZQL21T9HCJR-00A07",
        3,
        267397176,
        13113,
    ),
    "prometheus-community__smartctl_exporter__nvme-null-SAMSUNG_MZQL23T8HCLS-00A07-nvme9.json": (
        "SAMSUNG MZQL23T8HCLS-00A07",
        3,
        639454618,
        4369,
    ),
    "prometheus-community__smartctl_exporter__nvme-null-SAMSUNG_MZQL2960HCJR-00A07-nvme0.json": (
        "SAMSUNG MZQL2960HCJR-00A07",
        0,
        3055861,
        1999,
    ),
    "prometheus-community__smartctl_exporter__nvme-null-SAMSUNG_MZWLL3T2HAJQ-00005-nvme0.json": (
        "SAMSUNG MZWLL3T2HAJQ-00005",
        0,
        147556750,
        18376,
    ),
    (
        "prometheus-community__smartctl_exporter__"
        "nvme-null-Samsung_SSD_970_EVO_Plus_250GB-nvme0.json"
    ): (
        "Samsung SSD 970 EVO Plus 250GB",
        0,
        1969459,
        3149,
    ),
}
INFO_ONLY = "AnalogJ__scrutiny__smartctl_info_nvme.json"
SCANS = ("AnalogJ__scrutiny__smartctl_scan_nvme.json", "netdata__netdata__scan-nvme.json")


@pytest.mark.parametrize("name", sorted(WITH_LOG))
def test_smartctl_capture(name: str) -> None:
    model, used, duw, poh = WITH_LOG[name]
    facts = parse_smartctl((SMARTCTL / name).read_bytes())
    assert facts.model == model
    assert facts.smart is not None
    assert (
        facts.smart.percent_used,
        facts.smart.data_units_written,
        facts.smart.power_on_hours,
    ) == (used, duw, poh)
    assert facts.smart.host_bytes_written == duw * 512_000


def test_every_smartctl_capture_is_covered() -> None:
    assert {p.name for p in SMARTCTL.iterdir()} == set(WITH_LOG) | {INFO_ONLY, *SCANS}
    assert len(WITH_LOG) == 61


def test_samsung_970_evo_failed_example_in_full() -> None:
    facts = parse_smartctl((SMARTCTL / "AnalogJ__scrutiny__smart-nvme-failed.json").read_bytes())
    assert (facts.device, facts.serial, facts.firmware, facts.vendor_id) == (
        "/dev/nvme0",
        "S466NX0M776250H",
        "2B2QEXE7",
        0x144D,
    )
    assert (facts.size_bytes, facts.total_capacity_bytes, facts.logical_block_size) == (
        500107862016,
        500107862016,
        512,
    )
    smart = facts.smart
    assert (smart.temperature_c, smart.available_spare, smart.available_spare_threshold) == (
        35,
        99,
        10,
    )
    assert (smart.media_errors, smart.error_log_entries, smart.host_write_commands) == (
        7,
        62,
        874050000,
    )


def test_volatile_backup_failure_bit_is_read() -> None:
    facts = parse_smartctl(
        (SMARTCTL / f"{PC}nvme-null-SAMSUNG_MZWLL3T2HAJQ-00005-nvme0.json").read_bytes()
    )
    assert facts.smart.critical_warning == 0x10


def test_namespace_lba_size_and_exporter_files_without_namespaces() -> None:
    toshiba = parse_smartctl((SMARTCTL / f"{PC}KXG60ZNV512G_TOSHIBA_2.json").read_bytes())
    assert toshiba.logical_block_size == 4096 and toshiba.size_bytes == 512110190592
    micron = parse_smartctl(
        (SMARTCTL / f"{PC}nvme-null-Micron_7400_MTFDKCB3T8TDZ-nvme3.json").read_bytes()
    )
    assert micron.size_bytes is None and micron.logical_block_size is None
    assert micron.total_capacity_bytes == 3840755982336
    assert micron.smart.temperature_c == 31 and micron.serial == "REDACTED"


def test_info_only_capture_has_no_endurance() -> None:
    facts = parse_smartctl((SMARTCTL / INFO_ONLY).read_bytes())
    assert (facts.model, facts.serial, facts.firmware) == ("KCD61LUL3T84", "61Q0A05UT7B8", "8002")
    assert facts.total_capacity_bytes == 3840755982336 and facts.vendor_id == 7695
    assert facts.smart is None and facts.size_bytes is None


@pytest.mark.parametrize("name", SCANS)
def test_scan(name: str) -> None:
    assert parse_smartctl_scan((SMARTCTL / name).read_bytes()) == [
        ScannedDevice("/dev/nvme0", "nvme", "NVMe")
    ]


@pytest.mark.parametrize("bad", [b"", b"{}", b'{"model_name": "x"}', b"[1, 2]"])
def test_bad_input(bad: bytes) -> None:
    with pytest.raises(InputError):
        parse_smartctl(bad)
    with pytest.raises(InputError):
        parse_smartctl_scan(bad)
