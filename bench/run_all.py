"""Run every benchmark in bench/ in turn (`make bench`); each prints its own table."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).parent
NEEDS_ROOT = {"bench_run.py", "bench_parallel.py"}  # make loop devices


def main() -> int:
    failed = 0
    for script in sorted(HERE.glob("bench_*.py")):
        if script.name in NEEDS_ROOT and os.geteuid() != 0:
            print(f"## {script.name}: skipped (needs root for a loop device)\n")
            continue
        print(f"## {script.name}\n", flush=True)
        failed += subprocess.run([sys.executable, str(script)]).returncode != 0
        print(flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
