"""Identify Controller: every real and emulated capture (JSON 1.x/2.x, text, -H text, raw page)."""

from pathlib import Path

import pytest

from nvmeprobe.discover.id_ctrl import PowerState, parse_id_ctrl, psd_watts
from nvmeprobe.errors import InputError

FIX = Path(__file__).parent / "fixtures"
REAL = FIX / "real" / "id-ctrl"
OTHER = FIX / "real" / "other"
EMU = FIX / "emulated"

# file -> (vid, model, serial, firmware, [max power W of each state], [operational flags])
CASES = {
    REAL / "Naro1220__Diplomado-SolidGM-Eq4__expected_log.json": (
        0x025E,
        "SOLIDIGM SBFPF2BU153T",
        "XXXXXXXXXXXXXXXXXXXXX",
        "6CV10100",
        [25.0, 15.0, 10.0],
        [True] * 3,
    ),
    REAL / "TKperf-issue25__Micron_9200_MTFDHAL1T6TCU__id-ctrl-vendor__TRUNCATED.txt": (
        0x1344,
        "Micron_9200_MTFDHAL1T6TCU",
        "18161E7964B7",
        "101008P0",
        [25.0],
        [True],
    ),
    REAL / "grantcurell-nvme-log-pages__Dell_Express_Flash_P4610_3.2TB_SFF.txt": (
        0x8086,
        "Dell Express Flash NVMe P4610 3.2TB SFF",
        "PHLN939602VB3P2BGN",
        "VDV1DP25",
        [25.0],
        [True],
    ),
    REAL / "jpetrucciani__nvme-exporter__id_ctrl.bin": (
        0x1C5C,
        "SHPP41-2000GM",
        "SJB9N47011210991J",
        "51060A20",
        [7.5, 3.9, 1.5, 0.05, 0.005],
        [True, True, True, False, False],
    ),
    REAL / "opencomputeproject__ocp-diag-autoval-ssd__id_ctrl.json": (
        0x144D,
        "Unknown MZ1LB960HAJQ-000FB",
        "S43ANA0M405593",
        "EDA76F2Q",
        [8.0],
        [True],
    ),
    REAL
    / (
        "openstack__ironic-python-agent__hardware_samples.py__"
        "NVME_CLI_INFO_TEMPLATE_CRYPTO_SUPPORTED.json"
    ): (
        0x15B7,
        "WDC PC SN730 SDBQNTY-256G-1001",
        "1951B3444502",
        "11170101",
        [5.0, 3.5, 3.0, 0.07, 0.0035],
        [True, True, True, False, False],
    ),
    OTHER / "opencomputeproject__ocp-diag-autoval-ssd__id_ctrl.txt": (
        0x1C5C,
        "HFS256GD9TNG-62A0A",
        "MN95N637910306E2I",
        "80003E00",
        [6.0, 3.8, 2.4, 0.07, 0.007],
        [True, True, True, False, False],
    ),
    OTHER / "opencomputeproject__ocp-diag-autoval-ssd__id_ctrlH.txt": (
        0x1344,
        "MTFDHBA256TCK-1AS15ABYY",
        "1921220DDF47",
        "P1MU002",
        [8.25, 2.4, 1.9, 0.08, 0.005],
        [True, True, True, False, False],
    ),
    EMU / "qemu7-nvme" / "nvme-id-ctrl.json": (
        0x1B36,
        "QEMU NVMe Ctrl",
        "deadbeef",
        "7.2.22",
        [25.0],
        [True],
    ),
    EMU / "qemu10-nvme-ocp" / "nvme-id-ctrl.json": (
        0x1B36,
        "QEMU NVMe Ctrl",
        "deadbeef",
        "10.0.2",
        [25.0],
        [True],
    ),
    EMU / "nvmet-tcp-iu16k" / "id-ctrl.json": (
        0,
        "Linux",
        "a436d6c2eac59d459ba1",
        "6.1.0-56",
        [25.0],
        [True],
    ),
}


@pytest.mark.parametrize("path", sorted(CASES), ids=lambda p: p.name)
def test_id_ctrl_capture(path: Path) -> None:
    vid, model, serial, firmware, watts, operational = CASES[path]
    ctrl = parse_id_ctrl(path.read_bytes())
    assert (ctrl.vendor_id, ctrl.model, ctrl.serial, ctrl.firmware) == (
        vid,
        model,
        serial,
        firmware,
    )
    assert [ps.max_power_w for ps in ctrl.power_states] == pytest.approx(watts)
    assert [ps.operational for ps in ctrl.power_states] == operational


def test_every_id_ctrl_capture_is_covered() -> None:
    captured = set(REAL.iterdir()) | set(EMU.glob("*/*id-ctrl*")) | set(OTHER.glob("*id_ctrl*"))
    assert captured == set(CASES)


def test_raw_page_cross_checks() -> None:
    ctrl = parse_id_ctrl((REAL / "jpetrucciani__nvme-exporter__id_ctrl.bin").read_bytes())
    assert ctrl.subsystem_vendor_id == 0x1C5C  # SK hynix
    assert ctrl.max_power_w == 7.5  # the P41's highest operational state
    assert ctrl.endgidmax == 1
    assert ctrl.total_capacity_bytes == 0  # client drive: tnvmcap not reported


def test_capacity_and_endurance_group_fields() -> None:
    dell = parse_id_ctrl(
        (REAL / "grantcurell-nvme-log-pages__Dell_Express_Flash_P4610_3.2TB_SFF.txt").read_bytes()
    )
    assert dell.subsystem_vendor_id == 0x1028 and dell.total_capacity_bytes == 3200631791616
    assert dell.endgidmax == 0
    solidigm = parse_id_ctrl(
        (REAL / "Naro1220__Diplomado-SolidGM-Eq4__expected_log.json").read_bytes()
    )
    assert solidigm.total_capacity_bytes == 15362991415296 and solidigm.max_power_w == 25.0


def test_truncated_vendor_capture_still_gives_identity() -> None:
    micron = parse_id_ctrl(
        (
            REAL / "TKperf-issue25__Micron_9200_MTFDHAL1T6TCU__id-ctrl-vendor__TRUNCATED.txt"
        ).read_bytes()
    )
    assert micron.total_capacity_bytes == 1600321314816
    assert micron.power_states == (PowerState(25.0, True),)


@pytest.mark.parametrize(
    "max_power,scale,watts", [(2500, 0, 25.0), (700, 1, 0.07), (39000, 1, 3.9), (0, 0, 0.0)]
)
def test_psd_watts(max_power: int, scale: int, watts: float) -> None:
    assert psd_watts(max_power, scale) == pytest.approx(watts)


@pytest.mark.parametrize("bad", [b"", b'{"vid": 1}', b"nothing useful : here", b"\x00" * 1000])
def test_bad_input_raises_input_error(bad: bytes) -> None:
    with pytest.raises(InputError):
        parse_id_ctrl(bad)
