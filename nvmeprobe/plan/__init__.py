"""The plan stage: TOML test plans, validation, expansion into cells, fio jobs.

plan = load_plan("iu", ["runtime=2s"])          # or a path to a TOML file
cells = expand_plan(plan, TargetFacts(capacity_bytes=..., logical_block_size=512))
args = fio_args(cells[1], target, Path("out.json"), None, None)
"""

from nvmeprobe.plan.estimate import endurance_fraction, summarise
from nvmeprobe.plan.expand import expand_plan, expand_round
from nvmeprobe.plan.facts import plan_facts
from nvmeprobe.plan.fio_job import fio_args, job_file, job_options
from nvmeprobe.plan.load import builtin_names, load_plan, parse_plan_text
from nvmeprobe.plan.model import Cell, Plan, Stage, TargetFacts

__all__ = [
    "Cell",
    "Plan",
    "Stage",
    "TargetFacts",
    "builtin_names",
    "endurance_fraction",
    "expand_plan",
    "expand_round",
    "fio_args",
    "job_file",
    "job_options",
    "load_plan",
    "parse_plan_text",
    "plan_facts",
    "summarise",
]
