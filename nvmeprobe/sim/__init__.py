"""Simulated drives with known ground truth, served over NBD (docs/design.md "Simulated drives").

Modules: `params` (the truth), `presets`, `spec` (parse 'qlc-16k',
'qlc-16k,slc=32m' or 'iu=16k,slc=64m,...'), `model` (service times and exact
counters; caches, folding, refresh), `thermal` (heat and throttling), `store`
(sparse data), `identity` (nvme-cli-format captures), `drive` + `nbd` +
`server` (the served drive), `handle` (`running_sim` context manager).
"""

from nvmeprobe.sim.handle import SimHandle, running_sim, sim_capture_files, sim_stats
from nvmeprobe.sim.params import DriveParams
from nvmeprobe.sim.presets import PRESETS
from nvmeprobe.sim.spec import parse_spec

__all__ = [
    "DriveParams",
    "PRESETS",
    "SimHandle",
    "parse_spec",
    "running_sim",
    "sim_capture_files",
    "sim_stats",
]
