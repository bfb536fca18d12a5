"""Drive discovery: what a target is (identity, geometry, reported IU, endurance counters).

The pure core turns captured nvme-cli, smartctl and sysfs output into facts: each parser
module reads one tool's output (JSON, text or a raw binary page) into a small frozen
dataclass, and `decode.decode_capture` merges them into the `inspect --json` report
(`facts.InspectReport`). The edges that run programs and read the kernel are
`collect` (gathers a capture), `detect` (`nvme list` and sysfs), `blockdev` (sysfs) and
`in_use` (/proc and `wipefs`); they only read, never write a device. `session` opens a
target for a command (a simulated drive is started for as long as it lasts) and reads
its report once.
"""
