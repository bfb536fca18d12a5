"""The plan stage's data: target facts, plans, stages and cells.

- `TargetFacts`: what a plan needs to know about a target (capacity, LBA
  size, reported IU, rated endurance, an expected write bandwidth, device kind).
- `Plan` / `Stage`: a validated plan. `Stage.params` holds normalised,
  JSON-safe values (sizes of dimensions as int bytes, durations as float
  seconds, capacity-relative sizes as canonical strings such as '25%' or
  '2x', resolved only when facts are known).
- `Cell`: one fio process (or one idle wait). Frozen and hashable; `to_dict`
  / `from_dict` round-trip through JSON for the run manifest.

Cell ids look like ``007-rmw-randwrite-16k-o4k-qd8-nj1`` (plus ``-m65`` for
a mixed cell's read share and ``-r03`` for a round): a zero-padded plan-wide
index, then the stage and the cell's parameters. They are unique within a
plan, stable for the same plan and facts, filesystem-safe, and sort in plan
order (a round-based cell's rounds sort next to each other).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from typing import Any

from nvmeprobe.errors import InputError


@dataclass(frozen=True)
class TargetFacts:
    """Facts about a target that expansion validates against and estimates from."""

    capacity_bytes: int
    logical_block_size: int
    reported_iu_bytes: int | None = None
    rated_endurance_bytes: int | None = None
    est_write_bw_bytes: float | None = None
    kind: str | None = None  # inspect's device kind (nvme, loop, nbd, ...): its rate bounds

    def __post_init__(self) -> None:
        if self.capacity_bytes <= 0:
            raise InputError(f"target capacity must be positive, got {self.capacity_bytes}")
        lbs = self.logical_block_size
        if lbs < 512 or lbs & (lbs - 1):
            raise InputError(f"logical block size must be a power of two >= 512, got {lbs}")
        if self.est_write_bw_bytes is not None and self.est_write_bw_bytes <= 0:
            raise InputError(
                f"estimated write bandwidth must be positive, got {self.est_write_bw_bytes}"
            )

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TargetFacts:
        values: dict[str, Any] = {f.name: data.get(f.name) for f in fields(cls)}
        return cls(**values)


@dataclass(frozen=True)
class Stage:
    """One stage of a plan: `kind` is precondition, matrix, sustained or idle."""

    kind: str
    name: str
    params: dict[str, Any] = field(default_factory=dict, hash=False)

    @property
    def rounds_max(self) -> int | None:
        """At most this many rounds (a round-based matrix), else None."""
        return self.params.get("rounds")

    @property
    def steady_window(self) -> int | None:
        """Rounds in the steady-state window (SNIA PTS: 5), None without rounds."""
        return self.params.get("steady_window") if self.rounds_max else None

    @property
    def steady_metric(self) -> str | None:
        """The cells column tracked for steady state (e.g. 'iops') of the cells
        flagged `steady_track`, None without rounds."""
        return self.params.get("steady_metric") if self.rounds_max else None

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "name": self.name, "params": dict(self.params)}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Stage:
        return cls(kind=data["kind"], name=data["name"], params=dict(data.get("params", {})))


@dataclass(frozen=True)
class Plan:
    """A validated plan: a name, a description and its stages in order."""

    name: str
    description: str
    stages: tuple[Stage, ...]

    def stage(self, name: str) -> Stage:
        """The stage called `name`."""
        for stage in self.stages:
            if stage.name == name:
                return stage
        raise InputError(f"plan {self.name} has no stage {name!r}")

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "description": self.description,
            "stages": [s.to_dict() for s in self.stages],
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Plan:
        return cls(
            name=data["name"],
            description=data.get("description", ""),
            stages=tuple(Stage.from_dict(s) for s in data["stages"]),
        )


@dataclass(frozen=True)
class Cell:
    """One unit of work: a fio job (or, for kind 'idle', a wait of `idle_s`).

    Sizes in bytes, times in seconds. IO lands in [offset, offset +
    region_bytes); `offset` is the alignment offset, so every IO of a cell
    starts at offset + k * bs. `size_bytes` is the total IO of a size-based
    cell over all jobs (None when time-based). `rwmixread` is None unless
    `rw` is mixed. `round`/`rounds_max` are set for round-based stages;
    `steady_track` marks the cells whose `Stage.steady_metric` feeds the
    steady-state test. `follows` / `rate_share`: a sustained cell that runs
    after (and at most as far as) the burst of stage `follows`, held to
    `rate_share` of its in-cache rate (run/sustained.py). `extra` holds
    additional (allow-listed) fio options.
    """

    id: str
    stage: str
    kind: str
    rw: str | None = None
    bs: int | None = None
    offset: int = 0
    iodepth: int | None = None
    numjobs: int | None = None
    rwmixread: int | None = None
    runtime_s: float | None = None
    ramp_s: float | None = None
    size_bytes: int | None = None
    region_bytes: int | None = None
    writes: bool = False
    logs: bool = False
    log_avg_msec: int | None = None
    stop_on_drop: bool = False
    round: int | None = None
    rounds_max: int | None = None
    steady_track: bool = False
    idle_s: float | None = None
    follows: str | None = None  # a sustained cell: the stage of the burst it follows
    rate_share: float | None = None  # held to this share of that burst's in-cache rate
    est_seconds: float = 0.0
    est_bytes_written: int = 0
    extra: tuple[tuple[str, str], ...] = ()

    @property
    def time_based(self) -> bool:
        return self.runtime_s is not None

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["extra"] = dict(self.extra)
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Cell:
        known = {f.name for f in fields(cls)}
        unknown = set(data) - known
        if unknown:
            raise InputError(f"cell {data.get('id')!r}: unknown field {sorted(unknown)[0]!r}")
        values = dict(data)
        values["extra"] = tuple(
            sorted((str(k), str(v)) for k, v in (data.get("extra") or {}).items())
        )
        return cls(**values)
