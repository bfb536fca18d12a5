"""`--set key=value` overrides, applied to a plan's stage tables before validation.

- `KEY=VALUE` sets KEY in every stage that has that key (after defaults: a
  time-based matrix has `runtime`, a size-based one has `size`; an idle
  stage has `runtime`), so `runtime=2s` shortens every timed stage.
- `stage.NAME.KEY=VALUE` sets KEY in the stage called NAME only.
- A KEY may go one level into a table: `fio.rate_iops=1000`,
  `stage.NAME.steady_cell.bs=4k`.
- VALUE is a TOML scalar, list or inline table (`8`, `true`, `"16k"`,
  `[1, 8, 32]`); a bare word such as `2s`, `4k`, `25%` or `rand` is a string,
  and list items may be bare too (`bs=[4k,16k]`). Control characters and
  anything else are refused with a one-line InputError; the value is then
  validated like the same value written in the plan file.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Callable, Sequence
from typing import Any

from nvmeprobe.errors import InputError

_KEY_RE = re.compile(r"^[a-z0-9_-]+(\.[a-z0-9_-]+)*$")
_BARE_RE = re.compile(r"^[A-Za-z0-9_.%+:/-]+$")
_PROTECTED = ("kind", "name")


def _scalar(text: str, setting: str) -> Any:
    try:
        return tomllib.loads(f"v = {text}")["v"]
    except tomllib.TOMLDecodeError:
        pass
    if _BARE_RE.match(text):
        return text
    raise InputError(f"--set {setting}: {text!r} is not a TOML value or a plain word")


def parse_value(text: str, setting: str) -> Any:
    """The Python value of an override's VALUE."""
    text = text.strip()
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in text):
        raise InputError(f"--set {setting!r}: control characters are not allowed")
    if not text:
        raise InputError(f"--set {setting}: empty value")
    if text.startswith("[") and text.endswith("]"):
        try:
            return tomllib.loads(f"v = {text}")["v"]
        except tomllib.TOMLDecodeError:
            inner = text[1:-1].strip()
            return [_scalar(item.strip(), setting) for item in inner.split(",")] if inner else []
    return _scalar(text, setting)


def parse_override(setting: str) -> tuple[list[str], Any]:
    """('stage.rmw.bs=[4k,16k]') -> (['stage', 'rmw', 'bs'], ['4k', '16k'])."""
    if "=" not in setting:
        raise InputError(f"--set {setting!r}: use KEY=VALUE or stage.NAME.KEY=VALUE")
    key, text = setting.split("=", 1)
    key = key.strip()
    if not _KEY_RE.match(key):
        raise InputError(f"--set {setting!r}: bad key {key!r}")
    return key.split("."), parse_value(text, setting)


def _assign(table: dict[str, Any], path: list[str], value: Any, setting: str) -> None:
    if path[0] in _PROTECTED:
        raise InputError(f"--set {setting}: a stage's {path[0]} cannot be overridden")
    if len(path) > 2:
        raise InputError(f"--set {setting}: keys go at most one table deep (e.g. fio.rate_iops)")
    if len(path) == 1:
        table[path[0]] = value
        return
    inner = table.get(path[0])
    inner = dict(inner) if isinstance(inner, dict) else {}
    inner[path[1]] = value
    table[path[0]] = inner


def apply_overrides(
    plan: str,
    stages: list[dict[str, Any]],
    settings: Sequence[str],
    keys_of: Callable[[dict[str, Any], int], set[str]],
) -> list[dict[str, Any]]:
    """New stage tables with `settings` applied; `keys_of(stage, index)` gives a
    stage's keys after defaults (it validates the stage too)."""
    result = [dict(stage) for stage in stages]
    for setting in settings:
        path, value = parse_override(setting)
        if path[0] == "stage":
            if len(path) < 3:
                raise InputError(f"--set {setting}: use stage.NAME.KEY=VALUE")
            matches = [stage for stage in result if stage.get("name") == path[1]]
            if not matches:
                names = ", ".join(str(stage.get("name")) for stage in result)
                raise InputError(
                    f"--set {setting}: plan {plan} has no stage {path[1]!r} (stages: {names})"
                )
            _assign(matches[0], path[2:], value, setting)
            continue
        hits = [stage for index, stage in enumerate(result) if path[0] in keys_of(stage, index)]
        if not hits:
            raise InputError(f"--set {setting}: no stage of plan {plan} has key {path[0]!r}")
        for stage in hits:
            _assign(stage, path, value, setting)
    return result
