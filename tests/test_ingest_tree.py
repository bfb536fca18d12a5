"""Finding and ingesting fio results in files and bench-fio trees; bad files are skipped."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from nvmeprobe.errors import InputError
from nvmeprobe.ingest import find_fio_results, ingest_paths

FIO_JSON = Path(__file__).parent / "fixtures" / "real" / "fio-json"
PM883 = "louwrentius__fio-plot__SAMSUNG_PM883__{}.json"


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    """bench-fio layout `<out>/<target>/<mode>/<bs>/<mode>-<iodepth>-<numjobs>.json`, plus noise."""
    out = tmp_path / "out"
    for mode, depth in (("randread", 1), ("randread", 32), ("randwrite", 1), ("randwrite", 32)):
        folder = out / "sdc" / mode / "4k"
        folder.mkdir(parents=True, exist_ok=True)
        shutil.copy(FIO_JSON / PM883.format(f"{mode}-{depth}-1"), folder / f"{mode}-{depth}-1.json")
    (out / "manifest.json").write_text(json.dumps({"run_id": "x"}))  # not a result: ignored
    broken = out / "sdc" / "randwrite" / "64k"
    broken.mkdir(parents=True)
    text = (FIO_JSON / PM883.format("randwrite-1-1")).read_text()
    (broken / "randwrite-1-1.json").write_text(text[:2000])  # cut off: listed, skipped
    (broken / "randwrite-8-1.json").write_text("")  # fio died before writing
    return out


def test_find_lists_results_recursively(tree: Path) -> None:
    found = [p.relative_to(tree).as_posix() for p in find_fio_results([tree])]
    assert "manifest.json" not in found
    assert len(found) == 6
    assert "sdc/randread/4k/randread-32-1.json" in found


def test_ingest_tree_reads_good_files_and_lists_bad_ones(tree: Path) -> None:
    cells, skipped = ingest_paths([tree])
    assert len(cells) == 4
    assert sorted(p.name for p, _ in skipped) == ["randwrite-1-1.json", "randwrite-8-1.json"]
    for path, reason in skipped:
        assert str(path) in reason and "\n" not in reason
    row = cells[cells["cell"] == "sdc/randwrite/4k/randwrite-32-1"].iloc[0]
    doc = json.loads((FIO_JSON / PM883.format("randwrite-32-1")).read_text())
    assert row["iops"] == doc["jobs"][0]["write"]["iops"]
    assert row["source"] == str(tree / "sdc/randwrite/4k/randwrite-32-1.json")


def test_parameters_come_from_the_json_not_the_name(tmp_path: Path) -> None:
    misnamed = tmp_path / "randread-256-64.json"
    shutil.copy(FIO_JSON / PM883.format("randwrite-1-1"), misnamed)
    cells, skipped = ingest_paths([misnamed])
    assert skipped == []
    row = cells.iloc[0]
    assert (row["rw"], row["iodepth"], row["numjobs"], row["bs"]) == ("randwrite", 1, 1, 4096)
    assert row["cell"] == "randread-256-64"


def test_a_named_file_with_junk_and_any_extension_is_read(tmp_path: Path) -> None:
    path = tmp_path / "nbd-run.out"
    path.write_text(
        "fio: connected to NBD server\n" + (FIO_JSON / PM883.format("randread-1-1")).read_text()
    )
    cells, skipped = ingest_paths([path])
    assert skipped == [] and len(cells) == 1


def test_missing_path_is_an_input_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no such file"):
        ingest_paths([tmp_path / "absent"])


def test_empty_folder_gives_an_empty_table_with_all_columns(tmp_path: Path) -> None:
    cells, skipped = ingest_paths([tmp_path])
    assert len(cells) == 0 and skipped == [] and "iops" in cells.columns
