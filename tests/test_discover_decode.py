"""decode_capture: whole captures -> the `inspect --json` report (contract, precedence, gaps,
warnings)."""

import json
from pathlib import Path

import pytest

from nvmeprobe.discover.decode import decode_capture
from nvmeprobe.discover.id_ns import parse_id_ns
from nvmeprobe.discover.iu import SOURCE_LBA, SOURCE_NPWG, SOURCE_SYSFS, decode_iu

FIX = Path(__file__).parent / "fixtures"
REAL = FIX / "real"
EMU = FIX / "emulated"
CL = "facebook__CacheLib__NandWritesTest.cpp__"
TARGET = "/dev/nvme0n1"


def folder(name: str) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in (EMU / name).iterdir()}


def smart_json(**values: int) -> bytes:
    base = {
        "critical_warning": 0,
        "temperature": 310,
        "avail_spare": 100,
        "spare_thresh": 10,
        "percent_used": 1,
        "data_units_read": 10,
        "data_units_written": 1000,
        "power_on_hours": 5,
        "media_errors": 0,
    }
    return json.dumps(base | values).encode()


CONTRACT = {
    "identity": {"model", "serial", "firmware", "vendor_id"},
    "geometry": {
        "size_bytes",
        "logical_block_size",
        "physical_block_size",
        "minimum_io_size",
        "optimal_io_size",
    },
    "iu": {
        "reported_bytes",
        "write_alignment_bytes",
        "deallocate_granularity_bytes",
        "optimal_write_bytes",
        "source",
    },
    "endurance": {
        "percent_used",
        "host_bytes_written",
        "media_bytes_written",
        "lifetime_waf",
        "unaligned_io",
        "endurance_estimate",
        "power_on_hours",
        "available_spare",
        "media_errors",
        "critical_warning",
        "temperature_c",
    },
}


def test_report_has_the_contract_keys() -> None:
    doc = decode_capture(folder("qemu7-nvme"), TARGET).to_dict()
    assert {"target", "kind", "identity", "geometry", "iu", "endurance", "warnings", "gaps"} <= set(
        doc
    )
    for section, keys in CONTRACT.items():
        assert keys <= set(doc[section]), section
    json.dumps(doc)


def test_qemu7_full_report_with_ocp_failure_as_a_gap() -> None:
    report = decode_capture(folder("qemu7-nvme"), TARGET)
    assert (
        report.kind,
        report.identity.model,
        report.identity.serial,
        report.identity.firmware,
    ) == ("nvme", "QEMU NVMe Ctrl", "deadbeef", "7.2.22")
    assert report.identity.vendor_id == "0x1b36"
    assert report.geometry.size_bytes == 1073741824 and report.geometry.logical_block_size == 4096
    # QEMU sets nsfeat OPTPERF with npwg = nows = 0: one LBA, i.e. the LBA size
    assert (report.iu.reported_bytes, report.iu.optimal_write_bytes) == (4096, 4096)
    assert report.iu.deallocate_granularity_bytes == 16384  # npdg = 3
    assert report.gaps == [
        "OCP C0 log not supported by this drive: NVMe status: Invalid Field in Command"
    ]
    assert report.endurance.media_bytes_written is None and report.endurance.lifetime_waf is None
    assert report.endurance.temperature_c == 50 and report.endurance.host_bytes_written == 0
    assert report.warnings == []


def test_qemu10_ocp_json_feeds_media_counters() -> None:
    report = decode_capture(folder("qemu10-nvme-ocp"), TARGET)
    assert (
        report.endurance.media_bytes_written == 0
        and report.endurance.media_bytes_source == "ocp c0"
    )
    assert report.endurance.unaligned_io == 0
    assert report.endurance.endurance_estimate is None  # OCP reports 0: not an estimate
    assert report.endurance.lifetime_waf is None  # host wrote nothing
    assert report.identity.firmware == "10.0.2" and report.gaps == []


def test_nvmet_tcp_16k_iu() -> None:
    report = decode_capture(folder("nvmet-tcp-iu16k"), TARGET)
    assert report.iu.reported_bytes == 16384 and report.iu.optimal_write_bytes == 65536
    assert report.iu.source == SOURCE_NPWG and report.iu.write_alignment_bytes == 16384
    assert report.geometry.minimum_io_size == 16384 and report.geometry.physical_block_size == 16384
    assert report.identity.vendor_id is None  # the Linux target reports vid 0
    assert report.endurance.temperature_c is None  # temperature 0 K = not reported
    assert (
        "this drive's IU is 16 KiB: smaller or misaligned writes are read-modify-written"
        in report.warnings
    )


def test_raw_pages_of_the_sk_hynix_p41() -> None:
    files = {
        "id-ctrl.bin": (REAL / "id-ctrl" / "jpetrucciani__nvme-exporter__id_ctrl.bin").read_bytes(),
        "id-ns.bin": (REAL / "id-ns" / "jpetrucciani__nvme-exporter__id_ns.bin").read_bytes(),
        "smart-log.bin": (
            REAL / "smart-log" / "jpetrucciani__nvme-exporter__smart.bin"
        ).read_bytes(),
    }
    report = decode_capture(files, TARGET)
    assert (report.identity.model, report.identity.firmware, report.identity.vendor_id) == (
        "SHPP41-2000GM",
        "51060A20",
        "0x1c5c",
    )
    assert (
        report.identity.power_states_w == [7.5, 3.9, 1.5, 0.05, 0.005]
        and report.identity.max_power_w == 7.5
    )
    assert report.geometry.size_bytes == 2000398934016 and report.geometry.logical_block_size == 512
    assert (report.iu.reported_bytes, report.iu.source) == (512, SOURCE_LBA)
    assert report.endurance.host_bytes_written == 24219241 * 512_000
    assert report.endurance.temperature_c == 57 and report.endurance.power_on_hours == 28414
    assert report.gaps == [
        "media bytes written unknown: no OCP C0, endurance-group or vendor log reports it"
    ]


def test_reported_iu_and_sysfs_disagree() -> None:
    files = {
        "id-ns.txt": (
            REAL / "id-ns" / "nvme-cli-issue2173__SAMSUNG_MZTL27T6HBLA-00A07.txt"
        ).read_bytes(),
        "sysfs-queue.txt": (
            b"logical_block_size=512\nphysical_block_size=4096\n"
            b"minimum_io_size=4096\noptimal_io_size=0\n"
        ),
    }
    report = decode_capture(files, TARGET)
    assert (report.iu.reported_bytes, report.iu.write_alignment_bytes) == (131072, 4096)
    assert report.iu.optimal_write_bytes == 131072 and report.geometry.optimal_io_size is None
    assert (
        "this drive's IU is 128 KiB: smaller or misaligned writes are read-modify-written"
        in report.warnings
    )
    assert (
        "the drive reports an IU (npwg) of 128 KiB but the kernel's minimum_io_size is 4 KiB"
        in report.warnings
    )


def test_ocp_text_and_smart_give_lifetime_waf() -> None:
    ocp = (
        REAL
        / "ocp-smart-add-log"
        / f"{CL}handlesOcpSupportedDevice_ModelListed__kSmartLogOutputOcp.txt"
    )
    files = {
        "ocp-smart-add-log.txt": ocp.read_bytes(),
        "smart-log.json": smart_json(data_units_written=78525404),
    }
    end = decode_capture(files, TARGET).endurance
    assert end.media_bytes_written == 80410014056448
    assert end.host_bytes_written == 78525404 * 512_000
    assert end.lifetime_waf == pytest.approx(80410014056448 / (78525404 * 512_000))
    assert end.endurance_estimate == 23175501818990592 and end.unaligned_io == 0


def test_counters_above_2_64_round_trip_exactly_through_json() -> None:
    big_media, big_duw = 2**70 + 3, 2**66 + 1
    files = {
        "ocp-smart-add-log.json": json.dumps(
            {"Physical media units written": {"hi": big_media >> 64, "lo": big_media & (2**64 - 1)}}
        ).encode(),
        "smart-log.json": smart_json(data_units_written=big_duw),
    }
    doc = json.loads(json.dumps(decode_capture(files, TARGET).to_dict()))
    assert doc["endurance"]["media_bytes_written"] == big_media
    assert doc["endurance"]["host_bytes_written"] == big_duw * 512_000


def test_endurance_group_log_supplies_media_writes() -> None:
    files = {
        "endurance-log-1.json": b'{"media_units_written": 3000, "data_units_written": 1000,'
        b' "endurance_estimate": 7000, "percent_used": 4}',
        "smart-log.json": smart_json(data_units_written=1_953_125),
    }  # exactly 1e12 bytes
    end = decode_capture(files, TARGET).endurance
    assert end.media_bytes_written == 3 * 10**12 and end.media_bytes_source == "endurance group 1"
    assert end.lifetime_waf == pytest.approx(3.0)
    assert end.endurance_estimate == 7 * 10**12
    assert end.endurance_groups[0]["group_id"] == 1


def test_vendor_log_and_smartctl_only() -> None:
    files = {
        "vendor-smart.txt": (
            REAL / "other" / f"{CL}handlesSamsungDevice__kSmartLogOutput.txt"
        ).read_bytes(),
        "smartctl.json": (
            REAL / "smartctl-json" / "AnalogJ__scrutiny__smart-nvme-failed.json"
        ).read_bytes(),
    }
    report = decode_capture(files, "/dev/nvme0")
    assert (
        report.identity.model == "Samsung SSD 970 EVO 500GB"
        and report.identity.vendor_id == "0x144d"
    )
    assert report.geometry.size_bytes == 500107862016 and report.geometry.logical_block_size == 512
    assert report.endurance.media_bytes_written == 5357954930143232
    assert report.endurance.media_bytes_source == "vendor log (samsung)"
    assert report.endurance.percent_used == 3 and report.endurance.media_errors == 7


def test_malformed_file_is_a_gap_and_the_rest_decodes() -> None:
    files = folder("nvmet-tcp-iu16k") | {"id-ctrl.json": b"{broken", "smart-log.json": b'{"x": 1}'}
    report = decode_capture(files, TARGET)
    assert any(g.startswith("id-ctrl.json: could not be parsed") for g in report.gaps)
    assert any(g.startswith("smart-log.json: could not be parsed") for g in report.gaps)
    assert report.identity.model == "Linux"  # from nvme list
    assert report.iu.reported_bytes == 16384


def test_failed_command_stderr_and_summary_exit_code() -> None:
    files = {
        "smart-log.json": b"",
        "smart-log.json.err": b"open /dev/nvme0: No such device\n",
        "ocp-smart-add-log.json": b"",
        "summary.txt": b"GUEST: ocp-smart-add-log.json rc=1 :: nvme ocp\n",
    }
    gaps = decode_capture(files, TARGET).gaps
    assert "SMART log could not be read: open /dev/nvme0: No such device" in gaps
    assert "OCP C0 log could not be read: the command exited with status 1" in gaps


@pytest.mark.parametrize(
    "smart,expected",
    [
        (smart_json(critical_warning=0x10), "critical warning: volatile memory backup has failed"),
        (smart_json(critical_warning=0x0C), "critical warning: media is read-only"),
        (
            smart_json(avail_spare=5, spare_thresh=10),
            "available spare 5% is below its threshold of 10%",
        ),
        (smart_json(percent_used=93), "93% of the rated endurance is used"),
    ],
)
def test_health_warnings(smart: bytes, expected: str) -> None:
    assert expected in decode_capture({"smart-log.json": smart}, TARGET).warnings


def test_spare_warning_not_doubled_when_bit_0_is_set() -> None:
    warnings = decode_capture(
        {"smart-log.json": smart_json(critical_warning=1, avail_spare=5)}, TARGET
    ).warnings
    assert warnings == ["critical warning: available spare is below its threshold"]


def test_loop_device_from_sysfs_only() -> None:
    files = {
        "kind.txt": b"loop\n",
        "sysfs-size.txt": b"1073741824\n",
        "sysfs-queue.txt": (
            b"logical_block_size=4096\nphysical_block_size=4096\n"
            b"minimum_io_size=4096\noptimal_io_size=0\n"
        ),
    }
    report = decode_capture(files, "/dev/loop0")
    assert report.kind == "loop" and report.geometry.size_bytes == 1073741824
    assert (report.iu.reported_bytes, report.iu.source) == (4096, SOURCE_LBA)
    assert report.identity.model is None and report.endurance.percent_used is None
    assert "no SMART/Health log captured: wear, spare and temperature are unknown" in report.gaps


def test_decode_iu_precedence() -> None:
    pm9d3 = parse_id_ns(
        (
            REAL / "id-ns" / "salutepop__Notes__enable_fdp.md__id-ns_PM9D3_excerpt_L136-175.txt"
        ).read_bytes()
    )
    assert decode_iu(pm9d3, {"minimum_io_size": 4096}).reported_bytes == 131072
    nsfeat0 = parse_id_ns(
        (REAL / "id-ns" / "nvme-cli-issue2710__SKhynix_PC801_1TB__nsfeat0.txt").read_bytes()
    )
    sysfs = {
        "logical_block_size": 512,
        "physical_block_size": 4096,
        "minimum_io_size": 16384,
        "optimal_io_size": 65536,
    }
    iu = decode_iu(nsfeat0, sysfs)
    assert (iu.reported_bytes, iu.source, iu.optimal_write_bytes) == (16384, SOURCE_SYSFS, 65536)
    assert decode_iu(nsfeat0, None).reported_bytes == 512
    assert decode_iu(None, None).reported_bytes is None


def test_sysfs_identity_and_unexplained_errors() -> None:
    files = {
        "kind.txt": b"virtio",
        "sysfs-identity.txt": b"model=QEMU HARDDISK\nserial=QM0001\n",
        "nvme-cli.err": b"nvme-cli is not installed: identity and logs from smartctl and sysfs\n",
        "endurance-log-1.json": b"",
        "endurance-log-1.json.err": b"NVMe status: Invalid Log Page\n",
    }
    report = decode_capture(files, "/dev/vda")
    assert (report.identity.model, report.identity.serial, report.identity.firmware) == (
        "QEMU HARDDISK",
        "QM0001",
        None,
    )
    assert (
        "nvme-cli: nvme-cli is not installed: identity and logs from smartctl and sysfs"
        in report.gaps
    )
    assert "endurance-log-1.json: NVMe status: Invalid Log Page" in report.gaps
