"""What a simulated drive reports about itself, in nvme-cli 2.3's and sysfs's own formats.

`capture_files` renders Identify Controller, Identify Namespace, the SMART /
Health log and the OCP C0 log as `nvme ... -o json` (nvme-cli 2.3: json-c
layout, 128-bit counters as strings, padded identity strings), plus sysfs
queue limits, so `inspect` decodes a simulated drive with the parsers it uses
for real ones. The drive reports `reported_iu`, which may differ from the IU
it behaves with (`liar-16k`).

Counters come from `state["reported"]` (as of the last refresh, when the
drive has a `refresh` period); temperature and thermal fields are live. A
drive with heat reports its temperature (Kelvin), the minutes at or above
`wctemp_c` / `cctemp_c`, throttling as thermal management temperature 1
(transition count, total seconds) and, in the OCP C0 log, its throttling
status, event count and maximum temperature (degrees C). A drive with
`report=none` has no SMART or OCP log and reports no temperature thresholds.
"""

from __future__ import annotations

import hashlib
import json

from nvmeprobe import __version__
from nvmeprobe.sim.params import DriveParams

DATA_UNIT = 512_000
OCP_LOG_GUID = "0xafd514c97c6f4f9ca4f2bfea2810afc5"
FIRMWARE = f"NPS{__version__}"[:8]
KELVIN = 273


def identity(params: DriveParams) -> dict:
    """Model, serial and firmware as a drive reports them (unpadded)."""
    return {"model": params.model_name, "serial": params.serial, "firmware": FIRMWARE}


def capture_files(params: DriveParams, state: dict) -> dict[str, bytes]:
    """The drive's captures by file name; `state` is `DriveModel.snapshot()` plus `stored_bytes`."""
    files = {
        "id-ctrl.json": _json(id_ctrl(params)),
        "id-ns.json": _json(id_ns(params, state)),
        "smart-log.json": _json(smart_log(params, state)),
        "ocp-smart-add-log.json": _json(ocp_smart_add_log(params, state)),
        "sysfs-queue.txt": "".join(f"{k}={v}\n" for k, v in sysfs_queue(params).items()),
        "sysfs-size.txt": f"{params.capacity}\n",
        "kind.txt": "nbd\n",
    }
    if params.report == "none":
        del files["smart-log.json"], files["ocp-smart-add-log.json"]
    return {name: text.encode() for name, text in files.items()}


def _thermal(params: DriveParams, state: dict) -> dict:
    """The thermal log now: the model's when the drive has heat, else an idle drive's."""
    idle = {
        "temperature_c": params.ambient_c,
        "max_temperature_c": params.ambient_c,
        "throttled": False,
        "throttle_events": 0,
        "throttled_s": 0.0,
        "warning_s": 0.0,
        "critical_s": 0.0,
    }
    return state.get("thermal", idle)


def id_ctrl(params: DriveParams) -> dict:
    """`nvme id-ctrl -o json`: identity strings padded as the drive returns them."""
    return {
        "vid": 0,
        "ssvid": 0,
        "sn": params.serial.ljust(20),
        "mn": params.model_name.ljust(40),
        "fr": FIRMWARE.ljust(8),
        "rab": 0,
        "ieee": 0,
        "cmic": 0,
        "mdts": 0,
        "cntlid": 1,
        "ver": 0x10400,
        "rtd3r": 0,
        "rtd3e": 0,
        "oaes": 0,
        "ctratt": 0,
        "rrls": 0,
        "cntrltype": 1,
        "fguid": "00000000-0000-0000-0000-000000000000",
        "crdt1": 0,
        "crdt2": 0,
        "crdt3": 0,
        "nvmsr": 0,
        "vwci": 0,
        "mec": 0,
        "oacs": 0,
        "acl": 3,
        "aerl": 3,
        "frmw": 3,
        "lpa": 2,
        "elpe": 63,
        "npss": 0,
        "avscc": 0,
        "apsta": 0,
        **_thresholds(params),
        "mtfa": 0,
        "hmpre": 0,
        "hmmin": 0,
        "tnvmcap": str(params.capacity),
        "unvmcap": "0",
        "rpmbs": 0,
        "edstt": 0,
        "dsto": 0,
        "fwug": 0,
        "kas": 0,
        **_hctm(params),
        "sanicap": 0,
        "hmminds": 0,
        "hmmaxd": 0,
        "nsetidmax": 0,
        "endgidmax": 0,
        "anatt": 0,
        "anacap": 0,
        "anagrpmax": 0,
        "nanagrpid": 0,
        "pels": 0,
        "domainid": 0,
        "megcap": "0",
        "sqes": 102,
        "cqes": 68,
        "maxcmd": 0,
        "nn": 1,
        "oncs": 4,
        "fuses": 0,
        "fna": 0,
        "vwc": 0,
        "awun": 0,
        "awupf": 0,
        "icsvscc": 0,
        "nwpc": 0,
        "acwu": 0,
        "ocfs": 0,
        "sgls": 0,
        "mnan": 0,
        "maxdna": "0",
        "maxcna": 0,
        "subnqn": f"nqn.2024-01.io.nvmeprobe:sim:{params.serial}",
        "ioccsz": 0,
        "iorcsz": 0,
        "icdoff": 0,
        "fcatt": 0,
        "msdbd": 0,
        "ofcs": 0,
        "psds": [
            {
                "max_power": 2500,
                "flags": 0,
                "entry_lat": 0,
                "exit_lat": 0,
                "read_tput": 0,
                "read_lat": 0,
                "write_tput": 0,
                "write_lat": 0,
                "idle_power": 500,
                "idle_scale": 2,
                "active_power": 0,
                "active_power_work": 0,
                "active_scale": 0,
            }
        ],
    }


def _thresholds(params: DriveParams) -> dict[str, int]:
    """wctemp / cctemp in Kelvin (0: not reported)."""
    if params.report == "none":
        return {"wctemp": 0, "cctemp": 0}
    return {"wctemp": round(params.wctemp_c) + KELVIN, "cctemp": round(params.cctemp_c) + KELVIN}


def _hctm(params: DriveParams) -> dict[str, int]:
    """Host controlled thermal management: supported, from ambient to throttle_c, on heat drives."""
    if not params.heat_rise or params.report == "none":
        return {"hctma": 0, "mntmt": 0, "mxtmt": 0}
    return {
        "hctma": 1,
        "mntmt": round(params.ambient_c) + KELVIN,
        "mxtmt": round(params.throttle_c) + KELVIN,
    }


def id_ns(params: DriveParams, state: dict) -> dict:
    """`nvme id-ns -o json`; npwg..nows only when an IU is reported (nsfeat bit 4)."""
    lbas = params.capacity // params.lba
    used = min(lbas, -(-state["stored_bytes"] // params.lba))  # LBAs holding data, 4 KiB-grained
    doc: dict = {
        "nsze": lbas,
        "ncap": lbas,
        "nuse": used,
        "nsfeat": 0x10 if params.reported_iu else 0,
        "nlbaf": 0,
        "flbas": 0,
        "mc": 0,
        "dpc": 0,
        "dps": 0,
        "nmic": 0,
        "rescap": 0,
        "fpi": 0,
        "dlfeat": 0,
        "nawun": 0,
        "nawupf": 0,
        "nacwu": 0,
        "nabsn": 0,
        "nabo": 0,
        "nabspf": 0,
        "noiob": 0,
        "nvmcap": str(params.capacity),
        "nsattr": 0,
        "nvmsetid": 0,
    }
    if params.reported_iu:
        count = params.reported_iu // params.lba - 1
        doc.update(npwg=count, npwa=count, npdg=count, npda=count, nows=count)
    digest = hashlib.sha256(params.serial.encode()).hexdigest()
    doc.update(
        {
            "mssrl": 0,
            "mcl": 0,
            "msrc": 0,
            "nulbaf": 0,
            "anagrpid": 0,
            "endgid": 0,
            "eui64": digest[:16],
            "nguid": digest[16:48],
            "lbafs": [{"ms": 0, "ds": params.lba.bit_length() - 1, "rp": 0}],
        }
    )
    return doc


def smart_log(params: DriveParams, state: dict) -> dict:
    """`nvme smart-log -o json` (nvme-cli 2.3 keys; data units of 512,000 bytes, rounded up)."""
    heat = _thermal(params, state)
    counts = state["reported"]
    return {
        "critical_warning": 2 if heat["temperature_c"] >= params.cctemp_c else 0,
        "temperature": round(heat["temperature_c"]) + KELVIN,
        "avail_spare": 100,
        "spare_thresh": 10,
        "percent_used": percent_used(params, counts["media_bytes_written"]),
        "endurance_grp_critical_warning_summary": 0,
        "data_units_read": str(-(-counts["host_bytes_read"] // DATA_UNIT)),
        "data_units_written": str(-(-counts["host_bytes_written"] // DATA_UNIT)),
        "host_read_commands": str(counts["host_read_commands"]),
        "host_write_commands": str(counts["host_write_commands"]),
        "controller_busy_time": "0",
        "power_cycles": "1",
        "power_on_hours": str(int(state["model_time_s"] // 3600)),
        "unsafe_shutdowns": "0",
        "media_errors": str(counts["media_errors"]),
        "num_err_log_entries": str(counts["media_errors"]),
        "warning_temp_time": int(heat["warning_s"] // 60),
        "critical_comp_time": int(heat["critical_s"] // 60),
        "thm_temp1_trans_count": heat["throttle_events"],
        "thm_temp2_trans_count": 0,
        "thm_temp1_total_time": int(heat["throttled_s"]),
        "thm_temp2_total_time": 0,
    }


def ocp_smart_add_log(params: DriveParams, state: dict) -> dict:
    """`nvme ocp smart-add-log -o json` (nvme-cli 2.3 spaced keys; media units in bytes)."""
    counts = state["reported"]
    heat = _thermal(params, state)
    erases = counts["media_bytes_written"] // params.capacity
    lbas = params.capacity // params.lba
    used = id_ns(params, state)["nuse"]
    return {
        "Physical media units written": _hi_lo(counts["media_bytes_written"]),
        "Physical media units read": _hi_lo(counts["media_bytes_read"]),
        "Bad user nand blocks - Raw": 0,
        "Bad user nand blocks - Normalized": 100,
        "Bad system nand blocks - Raw": 0,
        "Bad system nand blocks - Normalized": 100,
        "XOR recovery count": 0,
        "Uncorrectable read error count": counts["media_errors"],
        "Soft ecc error count": 0,
        "End to end corrected errors": 0,
        "End to end detected errors": 0,
        "System data percent used": 0,
        "Refresh counts": 0,
        "Max User data erase counts": erases,
        "Min User data erase counts": erases,
        "Number of Thermal throttling events": heat["throttle_events"],
        "Current throttling status": int(heat["throttled"]),
        "PCIe correctable error count": 0,
        "Incomplete shutdowns": 0,
        "Percent free blocks": 100 - (100 * used) // lbas,
        "Capacitor health": 100,
        "Unaligned I/O": counts["unaligned_starts"],
        "Security Version Number": 0,
        "NUSE - Namespace utilization": used,
        "PLP start count": "0",
        "Endurance estimate": str(params.pe_cycles * params.capacity),
        "Log page version": 5,
        "Log page GUID": OCP_LOG_GUID,
        "Errata Version Field": 0,
        "Point Version Field": 0,
        "Minor Version Field": 0,
        "Major Version Field": 2,
        "NVMe Errata Version": 0,
        "PCIe Link Retraining Count": 0,
        "Max temperature recorded": round(heat["max_temperature_c"]),
    }


def sysfs_queue(params: DriveParams) -> dict[str, int]:
    """Queue limits as Linux derives them from Identify Namespace.

    See docs/field-notes.md section 1.
    """
    reported = params.reported_iu
    return {
        "logical_block_size": params.lba,
        "physical_block_size": reported or params.lba,
        "minimum_io_size": reported or params.lba,
        "optimal_io_size": reported or 0,
    }


def percent_used(params: DriveParams, media_bytes_written: int) -> int:
    """Percentage of rated endurance (P/E cycles x capacity) used, floored, capped at 255."""
    return min(255, 100 * media_bytes_written // (params.pe_cycles * params.capacity))


def _hi_lo(value: int) -> dict[str, int]:
    return {"hi": value >> 64, "lo": value & (2**64 - 1)}


def _json(document: dict) -> str:
    return json.dumps(document, indent=2, separators=(",", ":")) + "\n"
