"""Analysis methods: pure functions from tidy tables to findings.

IU/RMW, SLC cache, WAF, steady state and QoS; `analyze_all` assembles them.
"""

from nvmeprobe.analyze.findings import analyze_all

__all__ = ["analyze_all"]
