"""Recommender on TLC-like (4 KiB IU) and QLC-like (16 KiB IU) drive classes."""

from __future__ import annotations

import json

import pyarrow as pa
import pyarrow.parquet as pq
from test_recommend_support import QLC_SHAPE, K, qlc, tlc

from nvmeprobe.recommend import builtin_workloads, parse_workloads, recommend, recommendation_frame


def _placed(result: dict) -> dict[str, dict[str, float]]:
    out: dict[str, dict[str, float]] = {}
    for p in result["placements"]:
        out.setdefault(p["workload"], {})[p["drive"]] = p["share"]
    return out


def test_builtin_ai_workloads_split_by_iu():
    result = recommend(builtin_workloads(), [tlc(), qlc()]).to_dict()
    assert json.loads(json.dumps(result, allow_nan=False)) == result
    placed = _placed(result)
    assert placed["metadata"] == {"TLC-4K": 1.0}
    assert placed["training-read"] == {"QLC-16K": 1.0}
    assert placed["embeddings"] == {"QLC-16K": 1.0}
    fleets = {f["name"]: f for f in result["fleets"]}
    assert set(fleets) == {"mixed", "all-TLC-4K", "all-QLC-16K"}
    assert fleets["mixed"]["feasible"] and fleets["all-TLC-4K"]["feasible"]
    assert fleets["mixed"]["cost"] < fleets["all-TLC-4K"]["cost"]
    # All-QLC cannot hold metadata: 4 KiB random writes pay the RMW in their tail latency.
    (missing,) = fleets["all-QLC-16K"]["unplaced"]
    assert missing["workload"] == "metadata" and missing["binding"].startswith("p99 latency ")
    meta = next(p for p in result["placements"] if p["workload"] == "metadata")
    assert meta["settings"]["pool"] == "iu4k"
    training = next(p for p in result["placements"] if p["workload"] == "training-read")
    assert training["settings"]["pool"] == "iubig"
    for fleet in result["fleets"]:
        assert set(fleet) >= {
            "name",
            "feasible",
            "cost",
            "capacity_bytes",
            "iops_per_watt",
            "lifetime_years",
        }


HEAVY_SMALL_WRITES = """
[[workload]]
name = "kv-metadata"
capacity = "20t"
queue_depth = 8
p99_latency = "10ms"
splittable = false
[workload.write]
iops = 150000
io_sizes = { "4k" = 1.0 }
alignment = "4k"

[[workload]]
name = "dataset"
capacity = "400t"
queue_depth = 32
p99_latency = "50ms"
[workload.read]
rate = "8g"
io_sizes = { "1m" = 1.0 }
random = 0.0
"""


def test_mixed_fleet_beats_both_single_class_fleets_at_equal_targets():
    kv, dataset = parse_workloads(HEAVY_SMALL_WRITES)
    tlc_class, qlc_class = tlc(), qlc()
    result = recommend([kv, dataset], [tlc_class, qlc_class]).to_dict()
    fleets = {f["name"]: f for f in result["fleets"]}
    assert all(f["feasible"] for f in fleets.values())
    assert fleets["mixed"]["cost"] < fleets["all-TLC-4K"]["cost"]
    assert fleets["mixed"]["cost"] < fleets["all-QLC-16K"]["cost"]
    placed = _placed(result)
    assert placed["kv-metadata"] == {"TLC-4K": 1.0}
    # The dataset lives on QLC; the optimiser may fill the TLC drives' spare capacity with a
    # slice of it.
    assert placed["dataset"]["QLC-16K"] > 0.9
    kv_on_qlc = next(
        p
        for p in result["predictions"]
        if p["workload"] == "kv-metadata" and p["drive"] == "QLC-16K"
    )
    assert kv_on_qlc["rmw_factor"] == 4.0 and kv_on_qlc["waf"] == 4.0
    advice = next(p for p in result["placements"] if p["workload"] == "kv-metadata")["advice"]
    assert any("IU-aware storage" in line and "`iu4k`" in line for line in advice)


def test_small_writes_on_the_qlc_drive_are_told_to_batch_into_iu_writes():
    (work,) = parse_workloads(
        HEAVY_SMALL_WRITES.split("[[workload]]")[1]
        .join(["[[workload]]", ""])
        .replace("150000", "1000")
    )
    result = recommend([work], [qlc()]).to_dict()
    (placement,) = result["placements"]
    assert placement["advice"][0].startswith(
        "batch kv-metadata writes into 16 KiB-aligned writes of at least 16 KiB"
    )
    assert (
        "set the log-structured store's minimum write to 16 KiB, aligned to 16 KiB"
        in placement["advice"]
    )
    assert placement["settings"]["pool"] == "iubig"
    assert placement["settings"]["min_write_bytes"] == 16 * K


def test_io_size_outside_measured_cells_is_flagged():
    shape = {key: value for key, value in QLC_SHAPE.items() if key[1] <= 128 * K}
    (work,) = parse_workloads("""
[[workload]]
name = "big-reads"
capacity = "1t"
queue_depth = 64
[workload.read]
rate = "1g"
io_sizes = { "4m" = 1.0 }
random = 0.0
""")
    result = recommend([work], [qlc(shape)]).to_dict()
    reasons = result["placements"][0]["reasons"]
    assert any(
        r.startswith("IO size 4 MiB above measured sizes 128 KiB: bandwidth") for r in reasons
    )
    assert any(r.startswith("queue depth 64 above measured depths 8..32") for r in reasons)


def test_recommendation_frame_writes_parquet(tmp_path):
    result = recommend(builtin_workloads(["metadata", "training-read"]), [tlc(), qlc()])
    frame = recommendation_frame(result)
    assert list(frame["kind"]).count("fleet") == 3
    assert list(frame["kind"]).count("placement") == len(result.placements)
    path = tmp_path / "recommendation.parquet"
    frame.to_parquet(path)
    table = pq.read_table(path)
    assert table.num_rows == len(frame)
    assert table.schema.field("reasons").type == pa.list_(pa.string())
