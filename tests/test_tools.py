"""`run_tool`, the one edge that runs programs: output, failures, missing programs, timeouts."""

from __future__ import annotations

import pytest

from nvmeprobe.errors import ToolFailed, ToolMissing
from nvmeprobe.tools import run_tool


def test_output_as_text_or_bytes():
    assert run_tool("printf", ["%s\\n", "ok"]) == "ok\n"
    assert run_tool("printf", ["\\377"], binary=True) == b"\xff"


def test_failure_is_one_line_with_stderr_and_exit_code():
    with pytest.raises(ToolFailed) as caught:
        run_tool("ls", ["/nonexistent-nvmeprobe"])
    assert caught.value.returncode == 2
    assert str(caught.value).startswith("ls /nonexistent-nvmeprobe failed: ")
    assert "\n" not in str(caught.value)


def test_missing_program():
    with pytest.raises(ToolMissing, match="no-such-tool-xyz is not installed"):
        run_tool("no-such-tool-xyz", [])


def test_a_hung_program_is_killed_at_its_timeout():
    with pytest.raises(ToolFailed, match=r"^sleep 30 timed out after 0.3 s$"):
        run_tool("sleep", ["30"], timeout=0.3)
