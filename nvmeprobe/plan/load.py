"""Load a plan: a built-in name (plan/builtin/NAME.toml) or a TOML file path.

File format (top-level keys `name`, `description`, and one `[[stage]]`
table per stage, in order; stage keys in nvmeprobe/plan/schema.py):

    name = "mine"
    description = "aligned vs 4k-offset 16k random writes"

    [[stage]]
    kind = "precondition"
    name = "fill"
    size = "2x"            # two passes over the region

    [[stage]]
    kind = "matrix"
    name = "rmw"
    rw = "randwrite"
    bs = ["4k", "16k"]
    offset = [0, "4k"]
    iodepth = 8
    runtime = "30s"

Every error is one line naming the plan, the stage and the key.
"""

from __future__ import annotations

import tomllib
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from nvmeprobe.errors import InputError
from nvmeprobe.plan.model import Plan, Stage
from nvmeprobe.plan.overrides import apply_overrides
from nvmeprobe.plan.schema import NAME_RE, normalise_stage

BUILTIN_DIR = Path(__file__).parent / "builtin"
_TOP_KEYS = ("name", "description", "stage")


def builtin_names() -> list[str]:
    """Names of the built-in plans."""
    return sorted(path.stem for path in BUILTIN_DIR.glob("*.toml"))


def _read(name_or_path: str) -> tuple[str, str, str]:
    """(label for messages, default plan name, TOML text)."""
    if name_or_path in builtin_names():
        return name_or_path, name_or_path, (BUILTIN_DIR / f"{name_or_path}.toml").read_text()
    path = Path(name_or_path)
    if not path.is_file():
        raise InputError(
            f"unknown plan {name_or_path!r}: not a built-in plan"
            f" ({', '.join(builtin_names())}) nor a file"
        )
    try:
        return str(path), path.stem, path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as err:
        raise InputError(f"cannot read plan {path}: {err}") from None


def parse_plan_text(
    text: str, label: str, default_name: str, overrides: Sequence[str] = ()
) -> Plan:
    """A validated Plan from TOML text (`label` names it in error messages)."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise InputError(f"plan {label}: malformed TOML: {err}") from None
    unknown = [key for key in data if key not in _TOP_KEYS]
    if unknown:
        raise InputError(
            f"plan {label}: unknown top-level key {unknown[0]!r} (known: {', '.join(_TOP_KEYS)})"
        )
    stages = data.get("stage")
    if not isinstance(stages, list) or not stages or not all(isinstance(s, dict) for s in stages):
        raise InputError(f"plan {label}: needs at least one [[stage]] table")
    name, description = data.get("name", default_name), data.get("description", "")
    if not isinstance(description, str):
        raise InputError(f"plan {label}: description must be a string")
    if not isinstance(name, str) or not NAME_RE.match(name):
        raise InputError(
            f"plan {label}: plan name {name!r} must be 1-32 characters of a-z, 0-9, '_' and '-'"
            f' (set name = "..." in the file)'
        )

    def keys_of(stage: dict[str, Any], index: int) -> set[str]:
        return set(normalise_stage(label, stage, index).params)

    stages = apply_overrides(label, stages, overrides, keys_of)
    normalised = [normalise_stage(label, stage, index) for index, stage in enumerate(stages)]
    seen: set[str] = set()
    sustained: set[str] = set()
    for stage in normalised:
        if stage.name in seen:
            raise InputError(f"plan {label}: two stages are named {stage.name!r}")
        seen.add(stage.name)
        _check_follows(label, stage, sustained)
        if stage.kind == "sustained":
            sustained.add(stage.name)
    return Plan(name=name, description=description, stages=tuple(normalised))


def _check_follows(label: str, stage: Stage, earlier_sustained: set[str]) -> None:
    """`follows` names an earlier sustained stage; `rate` needs `follows`."""
    follows = stage.params.get("follows")
    if follows is not None and follows not in earlier_sustained:
        raise InputError(
            f"plan {label}, stage {stage.name!r}: follows = {follows!r} is not"
            f" an earlier sustained stage"
        )
    if stage.params.get("rate") is not None and follows is None:
        raise InputError(
            f"plan {label}, stage {stage.name!r}: rate needs follows (the burst"
            f" whose in-cache rate it is a share of)"
        )


def load_plan(name_or_path: str, overrides: Sequence[str] = ()) -> Plan:
    """A built-in plan by name, or a plan file by path, with `--set` overrides applied."""
    label, default_name, text = _read(name_or_path)
    return parse_plan_text(text, label, default_name, overrides)
