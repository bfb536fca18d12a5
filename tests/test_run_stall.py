"""The stall watch: fio status lines (as fio 3.33 printed them on a hung simulated
drive, a healthy one and a ramping loop device) against a clock the test moves."""

from __future__ import annotations

import random

import pytest

from nvmeprobe.errors import InputError
from nvmeprobe.run.fio_status import parse_status
from nvmeprobe.run.stall import MIN_TIMEOUT_S, StallWatch, stall_timeout

BARE = "Jobs: 1 (f=1)"  # fio's first ~2 s, healthy or not
HUNG = "Jobs: 1 (f=1): [w(1)][83.3%][eta 00m:01s]"
HEALTHY = "Jobs: 1 (f=1): [w(1)][-.-%][w=12.7MiB/s][w=3248 IOPS][eta 00m:00s]"
RAMP = "Jobs: 1 (f=0): [/(1)][-.-%][eta 00m:03s]"
ZERO = "Jobs: 1 (f=1): [w(1)][71.4%][w=0KiB/s][w=0 IOPS][eta 00m:02s]"
SEED = random.SystemRandom().randrange(10**6)


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _watch(timeout: float) -> tuple[StallWatch, Clock]:
    clock = Clock()
    return StallWatch(timeout, clock), clock


def _feed_for(watch: StallWatch, clock: Clock, line: str, seconds: float) -> None:
    """fio's pace: one status line every 250 ms."""
    for _ in range(round(seconds / 0.25)):
        clock.now += 0.25
        watch.feed(parse_status(line))


def test_a_target_that_completes_nothing_trips_after_the_timeout():
    timeout = random.Random(SEED).uniform(MIN_TIMEOUT_S, 300)
    watch, clock = _watch(timeout)
    started = clock.now
    _feed_for(watch, clock, BARE, 2)
    _feed_for(watch, clock, HUNG, timeout - 2 - 0.5)
    assert not watch.check() and watch.stalled_s is None, f"seed {SEED}"
    clock.now = started + timeout + 1e-6
    watch.feed(parse_status(HUNG))
    assert watch.check() and watch.stalled_s == pytest.approx(timeout), f"seed {SEED}"
    _feed_for(watch, clock, HEALTHY, 1)  # once tripped it stays tripped: fio is being stopped
    assert watch.check()


def test_completed_io_ramp_and_setup_restart_the_clock():
    watch, clock = _watch(10)
    _feed_for(watch, clock, HUNG, 9)
    watch.feed(parse_status(HEALTHY))  # a rate above zero: IO completes
    _feed_for(watch, clock, HUNG, 9)
    assert not watch.check()
    _feed_for(watch, clock, RAMP, 60)  # fio shows no rates during ramp_time
    _feed_for(watch, clock, "Jobs: 1 (f=1): [p(1)][-.-%][eta 00m:30s]", 30)  # laying out a file
    _feed_for(watch, clock, HUNG, 9)
    assert not watch.check()
    _feed_for(watch, clock, HUNG, 1)
    assert watch.check()


def test_zero_rates_and_silence_count_towards_a_stall():
    watch, clock = _watch(10)
    _feed_for(watch, clock, ZERO, 10)
    assert watch.check()
    silent, clock = _watch(10)  # fio printing nothing at all (its own threads hung)
    clock.now += 10
    assert silent.check()


@pytest.mark.parametrize("text, seconds", [("2m", 120.0), ("90s", 90.0), ("5", 5.0), ("0", None)])
def test_stall_timeout_values(text, seconds):
    assert stall_timeout(text) == seconds


@pytest.mark.parametrize("text", ["2s", "100ms", "soon"])
def test_bad_stall_timeouts_are_one_line_input_errors(text):
    with pytest.raises(InputError) as err:
        stall_timeout(text)
    assert "\n" not in str(err.value)
