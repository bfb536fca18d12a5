"""Profiles: round trip, readable without nvmeprobe, one glob for many, atomic writes."""

from __future__ import annotations

import errno
import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from nvmeprobe import __version__
from nvmeprobe.errors import InputError, ProbeError
from nvmeprobe.ingest import cells_from_fio, load_fio_json, read_fio_log
from nvmeprobe.ingest.fio_logs import bandwidth_vs_bytes, series_from_log
from nvmeprobe.profile import (
    ProfileWriteError,
    findings_to_frame,
    frame_to_findings,
    profile_path,
    read_profile,
    store,
    write_profile,
)
from nvmeprobe.profile.columns import COLUMNS, CONTRACT_COLUMNS

FIXTURES = Path(__file__).parent / "fixtures" / "real"
PM883_JSON = FIXTURES / "fio-json" / "louwrentius__fio-plot__SAMSUNG_PM883__randwrite-32-1.json"
PM883_BW = (
    FIXTURES
    / "fio-logs"
    / "louwrentius__fio-plot__SAMSUNG_PM883__randwrite-iodepth-32-numjobs-1_bw.1.log"
)
FINDINGS = {
    "iu": {
        "inferred_bytes": 16384,
        "reported_bytes": None,
        "agrees": False,
        "confidence": 0.875,
        "rmw_amplification": [{"bs": 4096, "offset": 0, "factor": 4.0}],
        "evidence": {"sizes": [4096, 16384]},
        "method_version": "iu-rule+fit/1",
    },
    "slc": {"detected": True, "cache_bytes": 67108864, "in_cache_bw": 8.2e8},
    "method_version": "analyze/1",
}
FACTS = {"target": "/dev/sdc", "identity": {"model": "SAMSUNG PM883", "serial": "S1/2"}}


def _cells(run_id: str = "r1", model: str = "SAMSUNG PM883", serial: str = "S1/2") -> pd.DataFrame:
    doc = load_fio_json(PM883_JSON.read_bytes(), str(PM883_JSON))
    return cells_from_fio(
        doc, run_id=run_id, cell="c1", model=model, serial=serial, target="/dev/sdc"
    )


def _write(
    directory: Path, run_id: str = "r1", model: str = "SAMSUNG PM883", serial: str = "S1/2"
) -> Path:
    series = series_from_log(PM883_BW, cell="c1")
    findings = findings_to_frame(FINDINGS)
    path = profile_path(directory, model, serial, run_id)
    return write_profile(
        path,
        _cells(run_id, model, serial),
        series,
        findings,
        metadata={"facts": FACTS, "manifest": {"cells": ["c1"]}, "run_id": run_id},
    )


def test_profile_path_is_safe() -> None:
    assert profile_path("p", "SAMSUNG MZ1LB1T9HALS/000FB", "S 1", "20261126T1759Z-loop0") == Path(
        "p/SAMSUNG-MZ1LB1T9HALS-000FB_S-1/20261126T1759Z-loop0.parquet"
    )
    assert profile_path("p", "m", None, "r").parent.name == "m_unknown"
    assert profile_path("p", "..", "../..", "../x").parent.parent == Path("p")


def test_round_trip(tmp_path: Path) -> None:
    path = _write(tmp_path)
    profile = read_profile(path)
    pd.testing.assert_frame_equal(profile.cells, _cells())
    series = series_from_log(PM883_BW, cell="c1")
    for column in ("t_s", "value", "bw_bytes", "bytes_written"):
        assert list(profile.series[column]) == list(series[column])
    assert list(profile.series["direction"]) == list(series["direction"].astype(str))
    assert (profile.series["series"] == "bw").all()
    assert (profile.series["model"] == "SAMSUNG PM883").all()  # identity on every row
    assert frame_to_findings(profile.findings) == FINDINGS
    evidence = profile.findings.set_index("finding")["evidence"]
    assert json.loads(evidence["iu.inferred_bytes"]) == {"sizes": [4096, 16384]}
    assert pd.isna(evidence["slc.cache_bytes"])
    versions = profile.findings.set_index("finding")["method_version"]
    assert (versions["iu.confidence"], versions["slc.detected"]) == ("iu-rule+fit/1", "analyze/1")
    assert (profile.facts, profile.manifest) == (FACTS, {"cells": ["c1"]})
    assert (profile.run_id, profile.schema_version) == ("r1", "2")
    assert profile.creator == f"nvmeprobe {__version__}"


def test_findings_dict_and_no_series_are_accepted(tmp_path: Path) -> None:
    path = write_profile(
        tmp_path / "p.parquet", _cells(), None, FINDINGS, metadata={"run_id": "r1"}
    )
    profile = read_profile(path)
    assert len(profile.series) == 0 and frame_to_findings(profile.findings) == FINDINGS
    assert profile.facts == {} and len(profile.cells) == 1


def test_runner_style_frames_are_coerced(tmp_path: Path) -> None:
    """Float NaN in an integer column and categorical directions, as the runner builds them."""
    cells = _cells()
    cells["media_bytes_written"] = float("nan")
    cells.loc[0, "media_bytes_written"] = 3.0e9
    series = bandwidth_vs_bytes(read_fio_log(PM883_BW))
    series["series"], series["cell"] = "bw", "c1"
    profile = read_profile(
        write_profile(tmp_path / "p.parquet", cells, series, None, metadata={"run_id": "r1"})
    )
    assert profile.cells.loc[0, "media_bytes_written"] == 3_000_000_000
    assert len(profile.series) == len(series)


def test_columns_outside_the_schema_are_refused(tmp_path: Path) -> None:
    cells = _cells().assign(surprise=1)
    with pytest.raises(InputError, match="surprise"):
        write_profile(tmp_path / "p.parquet", cells, metadata={"run_id": "r1"})
    with pytest.raises(InputError, match="unknown profile metadata"):
        write_profile(tmp_path / "p.parquet", _cells(), metadata={"runid": "r1"})
    bad = _cells().assign(iodepth="deep")
    with pytest.raises(InputError, match="iodepth"):
        write_profile(tmp_path / "p.parquet", bad, metadata={"run_id": "r1"})


def _python(code: str) -> str:
    """Run code in a fresh interpreter; fail if it imported nvmeprobe."""
    code += "\nimport sys\nassert not any(m.startswith('nvmeprobe') for m in sys.modules)\n"
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_duckdb_reads_a_profile_without_nvmeprobe(tmp_path: Path) -> None:
    path = _write(tmp_path)
    out = _python(
        "import duckdb, json\n"
        f"p = {str(path)!r}\n"
        "cols = [r[0] for r in duckdb.sql(f\"describe select * from '{p}'\").fetchall()]\n"
        "meta = dict(duckdb.sql(f\"select key, value from parquet_kv_metadata('{p}')\")"
        ".fetchall())\n"
        "iops = duckdb.sql(f\"select iops from '{p}'"
        " where record = 'cell' and direction = 'write'\").fetchall()\n"
        "print(json.dumps({'cols': cols, 'version': meta[b'nvmeprobe.schema_version'].decode(),"
        " 'iops': iops[0][0]}))\n"
    )
    seen = json.loads(out)
    assert set(CONTRACT_COLUMNS) <= set(seen["cols"])
    assert seen["version"] == "2"
    assert seen["iops"] == json.loads(PM883_JSON.read_text())["jobs"][0]["write"]["iops"]


def test_polars_reads_a_profile_without_nvmeprobe(tmp_path: Path) -> None:
    path = _write(tmp_path)
    out = _python(
        "import polars as pl, pyarrow.parquet as pq, json\n"
        f"p = {str(path)!r}\n"
        "df = pl.read_parquet(p)\n"
        "cells = df.filter(pl.col('record') == 'cell')\n"
        "meta = pq.read_schema(p).metadata\n"
        "print(json.dumps({'cols': df.columns, 'cells': cells.height,"
        " 'bs': cells['bs'].to_list(), 'version': meta[b'nvmeprobe.schema_version'].decode()}))\n"
    )
    seen = json.loads(out)
    assert set(CONTRACT_COLUMNS) <= set(seen["cols"])
    assert (seen["cells"], seen["bs"], seen["version"]) == (1, [4096], "2")


def test_one_glob_reads_profiles_of_two_drives(tmp_path: Path) -> None:
    _write(tmp_path, run_id="r1", model="SAMSUNG PM883", serial="A")
    other = tmp_path / "QLC_B" / "r2.parquet"
    write_profile(
        other,
        _cells("r2", "QLC", "B").assign(iops=1.0),
        None,
        {"iu": {"inferred_bytes": 65536}},
        metadata={"run_id": "r2"},
    )
    out = _python(
        "import duckdb, json\n"
        f"g = {str(tmp_path / '**' / '*.parquet')!r}\n"
        "rows = duckdb.sql(f\"select run_id, model, iops from '{g}'"
        " where record = 'cell' order by run_id\").fetchall()\n"
        "iu = duckdb.sql(f\"select model, value from '{g}'"
        " where finding = 'iu.inferred_bytes' order by model\").fetchall()\n"
        "print(json.dumps({'rows': rows, 'iu': iu}))\n"
    )
    seen = json.loads(out)
    write_iops = json.loads(PM883_JSON.read_text())["jobs"][0]["write"]["iops"]
    assert seen["rows"] == [["r1", "SAMSUNG PM883", write_iops], ["r2", "QLC", 1.0]]
    assert seen["iu"] == [["QLC", 65536.0], ["SAMSUNG PM883", 16384.0]]


def test_full_disk_keeps_the_previous_profile(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = _write(tmp_path)
    before = path.read_bytes()

    def full_disk(table: pa.Table, where: str, **kwargs) -> None:
        Path(where).write_bytes(b"PAR1 half a file")
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(store.pq, "write_table", full_disk)
    with pytest.raises(ProfileWriteError) as caught:
        write_profile(path, _cells().assign(iops=0.5), metadata={"run_id": "r1"})
    assert isinstance(caught.value, ProbeError)
    assert "no space left" in str(caught.value) and "\n" not in str(caught.value)
    assert path.read_bytes() == before
    assert sorted(p.name for p in path.parent.iterdir()) == [path.name]  # no temp file left
    monkeypatch.undo()
    assert read_profile(path).cells.loc[0, "iops"] != 0.5


def test_rewrite_replaces_the_profile(tmp_path: Path) -> None:
    path = _write(tmp_path)
    write_profile(path, _cells().assign(iops=2.5), metadata={"run_id": "r1"})
    assert read_profile(path).cells.loc[0, "iops"] == 2.5


def test_non_profiles_are_refused(tmp_path: Path) -> None:
    text = tmp_path / "notes.parquet"
    text.write_text("not parquet")
    with pytest.raises(InputError, match="not a Parquet profile"):
        read_profile(text)
    plain = tmp_path / "plain.parquet"
    pq.write_table(pa.table({"a": [1]}), plain)
    with pytest.raises(InputError, match="not an nvmeprobe profile"):
        read_profile(plain)
    with pytest.raises(InputError, match="no such profile"):
        read_profile(tmp_path / "absent.parquet")


def test_unknown_schema_version_is_refused(tmp_path: Path) -> None:
    path = _write(tmp_path)
    table = pq.read_table(path)
    meta = dict(table.schema.metadata)
    meta[b"nvmeprobe.schema_version"] = b"3"
    pq.write_table(table.replace_schema_metadata(meta), path)
    with pytest.raises(InputError, match="schema version '3' is not supported"):
        read_profile(path)


def test_every_column_carries_its_unit_and_meaning(tmp_path: Path) -> None:
    schema = pq.read_schema(_write(tmp_path))
    assert schema.metadata[b"nvmeprobe.creator"] == f"nvmeprobe {__version__}".encode()
    for column in COLUMNS:
        meta = schema.field(column.name).metadata
        assert meta[b"unit"].decode() == column.unit, column.name
        assert meta[b"description"].decode() == column.meaning, column.name
        assert meta[b"records"].decode().split(",") == list(column.records), column.name
    assert schema.field("lat_p99_us").metadata[b"unit"] == b"us"
    assert schema.field("bw_bytes").metadata[b"unit"] == b"bytes/s"


# A schema 1 profile as the schema 1 writer laid it out (nvmeprobe 0.1.0): every
# column present, evidence and method versions as finding rows of their own, the
# `method_version` column holding the package version, no field metadata.
_V1_TYPES = {
    "record": pa.string(),
    "run_id": pa.string(),
    "cell": pa.string(),
    "model": pa.string(),
    "serial": pa.string(),
    "target": pa.string(),
    "bs": pa.int64(),
    "iops": pa.float64(),
    "series": pa.string(),
    "t_s": pa.float64(),
    "value": pa.float64(),
    "bw_bytes": pa.float64(),
    "finding": pa.string(),
    "value_text": pa.string(),
    "value_kind": pa.string(),
    "evidence": pa.string(),
    "method_version": pa.string(),
    "steady": pa.bool_(),
}
_V1_FINDINGS = [  # finding, value, value_text, value_kind
    ("iu.inferred_bytes", 16384.0, "16384", "integer"),
    ("iu.agrees", 1.0, "true", "bool"),
    ("iu.evidence.points", 7.0, "7", "integer"),
    ("iu.evidence.rule.knee_bs", 16384.0, "16384", "integer"),
    ("iu.method_version", None, "iu-rule+fit/1", "text"),
    ("slc.detected", 0.0, "false", "bool"),
    ("slc.method_version", None, "slc-kernelcpd/1", "text"),
    ("method_version", None, "analyze/1", "text"),
]


def _v1_profile(path: Path) -> Path:
    rows: list[dict] = [
        {"record": "cell", "cell": "c1", "bs": 4096, "iops": 1000.0},
        {
            "record": "series",
            "cell": "c1",
            "series": "bw",
            "t_s": 1.0,
            "value": 5e8,
            "bw_bytes": 5e8,
            "bs": 0,
        },
    ]
    rows += [
        {
            "record": "finding",
            "finding": f,
            "value": v,
            "value_text": t,
            "value_kind": k,
            "method_version": "0.1.0",
        }
        for f, v, t, k in _V1_FINDINGS
    ]
    for row in rows:
        row.update(run_id="r1", model="QLC", serial="S1", target="sim:qlc-16k")
    columns = {}
    for field in store.SCHEMA:  # the same names and types in the same order as schema 1
        kind = _V1_TYPES.get(field.name, field.type)
        columns[field.name] = pa.array([row.get(field.name) for row in rows], kind)
    table = pa.table(columns).replace_schema_metadata(
        {
            b"nvmeprobe.schema_version": b"1",
            b"nvmeprobe.run_id": b"r1",
            b"nvmeprobe.facts": b"{}",
            b"nvmeprobe.manifest": b"{}",
        }
    )
    pq.write_table(table, path)
    return path


def test_a_schema_1_profile_is_read_in_the_current_layout(tmp_path: Path) -> None:
    profile = read_profile(_v1_profile(tmp_path / "old.parquet"))
    assert (profile.schema_version, profile.creator) == ("1", "nvmeprobe 0.1.0")
    assert frame_to_findings(profile.findings) == {
        "iu": {
            "inferred_bytes": 16384,
            "agrees": True,
            "evidence": {"points": 7, "rule": {"knee_bs": 16384}},
            "method_version": "iu-rule+fit/1",
        },
        "slc": {"detected": False, "method_version": "slc-kernelcpd/1"},
        "method_version": "analyze/1",
    }
    rows = profile.findings.set_index("finding")
    assert list(rows.index) == ["iu.inferred_bytes", "iu.agrees", "slc.detected", "method_version"]
    assert json.loads(rows.loc["iu.agrees", "evidence"]) == {
        "points": 7,
        "rule": {"knee_bs": 16384},
    }
    assert rows.loc["iu.agrees", "method_version"] == "iu-rule+fit/1"  # no longer the package's
    assert (rows["model"] == "QLC").all() and (rows["run_id"] == "r1").all()
    assert pd.isna(profile.series.loc[0, "bs"])  # 0 meant unknown in schema 1
    assert profile.cells.loc[0, "iops"] == 1000.0 and pd.isna(profile.cells.loc[0, "steady"])


def test_a_schema_1_profile_is_rewritten_as_schema_2(tmp_path: Path) -> None:
    old = read_profile(_v1_profile(tmp_path / "old.parquet"))
    path = write_profile(
        tmp_path / "new.parquet",
        old.cells,
        old.series,
        old.findings,
        metadata={"run_id": old.run_id},
    )
    new = read_profile(path)
    assert new.schema_version == "2"
    assert frame_to_findings(new.findings) == frame_to_findings(old.findings)


def test_one_glob_reads_schema_1_and_2_profiles_together(tmp_path: Path) -> None:
    (tmp_path / "QLC_S1").mkdir()
    _v1_profile(tmp_path / "QLC_S1" / "r1.parquet")
    _write(tmp_path, run_id="r2", model="SAMSUNG PM883", serial="A")
    out = _python(
        "import duckdb, json\n"
        f"g = {str(tmp_path / '**' / '*.parquet')!r}\n"
        "rows = duckdb.sql(f\"select model, value from '{g}' where finding = 'iu.inferred_bytes'"
        ' order by model").fetchall()\n'
        "print(json.dumps(rows))\n"
    )
    assert json.loads(out) == [["QLC", 16384.0], ["SAMSUNG PM883", 16384.0]]
