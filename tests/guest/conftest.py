"""The guest level runs only when asked for (`pytest -m guest`, `make test-guest`).

Booting the QEMU guest and running nvmeprobe in it takes minutes, so its
tests are deselected unless the marker expression names `guest`.
"""

from __future__ import annotations

import pytest


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "guest: boots the QEMU test guest (make test-guest)")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if "guest" in (config.option.markexpr or ""):
        return
    dropped = [item for item in items if item.get_closest_marker("guest")]
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = [item for item in items if not item.get_closest_marker("guest")]
