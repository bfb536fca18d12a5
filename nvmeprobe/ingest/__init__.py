"""Ingest: fio JSON / json+ results and fio logs -> tidy DataFrames (pure parsing, no subprocesses).

`to_profiles` is the `ingest` command: results and logs nvmeprobe did not
run, parsed here and written as profiles (imported on its own, as it needs
`profile` and `analyze`). The columns the parsers fill are the profile's
own (`nvmeprobe.profile.columns`).
"""

from nvmeprobe.ingest.fio_json import cells_from_fio, load_fio_json, percentile_from_bins
from nvmeprobe.ingest.fio_logs import bandwidth_vs_bytes, read_fio_log, series_from_log
from nvmeprobe.ingest.tree import find_fio_results, ingest_paths

__all__ = [
    "cells_from_fio",
    "load_fio_json",
    "percentile_from_bins",
    "bandwidth_vs_bytes",
    "read_fio_log",
    "series_from_log",
    "find_fio_results",
    "ingest_paths",
]
