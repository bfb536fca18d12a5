"""Drive discovery: the pure core that turns captured nvme-cli, smartctl and sysfs output into facts.

Each parser module reads one tool's output (JSON, text or a raw binary page) into a small
frozen dataclass; `decode.decode_capture` merges them into the `inspect --json` report
(`facts.InspectReport`). Nothing here runs a program or touches a device.
"""
