from nvmeprobe.run.fio_status import FioStatus, parse_status


def test_write_only_line():
    s = parse_status("Jobs: 1 (f=1): [w(1)][-.-%][w=159MiB/s][w=40.7k IOPS][eta 00m:00s]")
    assert s.write_bw == 159 * 1024**2
    assert s.write_iops == 40700
    assert s.read_bw is None and s.eta_s == 0
    assert s.iops == 40700


def test_mixed_line_with_eta():
    s = parse_status(
        "Jobs: 2 (f=2): [m(2)][40.0%][r=1024KiB/s,w=2.5MiB/s][r=256,w=640 IOPS][eta 01h:02m:03s]"
    )
    assert s.read_bw == 1024 * 1024 and s.write_bw == 2.5 * 1024**2
    assert (s.read_iops, s.write_iops) == (256, 640)
    assert s.eta_s == 3723
    assert s.iops == 896


def test_status_lines_without_rates_are_samples_without_rates():
    hung = parse_status("Jobs: 1 (f=1): [w(1)][83.3%][eta 00m:01s]")
    assert hung == FioStatus(eta_s=1, states="w")
    assert not hung.has_rates and not hung.completing and hung.iops is None
    zero = parse_status("Jobs: 1 (f=1): [w(1)][71.4%][w=0KiB/s][w=0 IOPS][eta 00m:02s]")
    assert zero.has_rates and not zero.completing
    assert parse_status("Jobs: 1 (f=1)") == FioStatus(states="")  # fio's first ~2 s
    assert parse_status("") is None and parse_status("fio-3.33") is None


def test_job_states_from_condensed_and_plain_run_strings():
    def states(line: str) -> str | None:
        return parse_status(line).states

    assert states("Jobs: 3 (f=3): [/(2),w(1)][-.-%][eta 00m:03s]") == "/w"
    assert states("Jobs: 2 (f=2): [_W][50.0%][w=1MiB/s][w=256 IOPS][eta 00m:01s]") == "_W"
    assert states("Jobs: 1 (f=1): [w(1)][-.-%][w=159MiB/s][w=40.7k IOPS][eta 00m:00s]") == "w"


def test_progress_bar_text_says_what_fio_shows():
    from nvmeprobe.cli.live import live_text

    assert (
        live_text(
            parse_status("Jobs: 1 (f=1): [w(1)][-.-%][w=159MiB/s][w=40.7k IOPS][eta 00m:00s]")
        )
        == "40,700 IOPS 159 MiB/s"
    )
    assert (
        live_text(parse_status("Jobs: 1 (f=1): [w(1)][83.3%][eta 00m:01s]")) == "no IO completing"
    )
    assert live_text(parse_status("Jobs: 1 (f=0): [/(1)][-.-%][eta 00m:03s]")) == "ramp"
    assert live_text(parse_status("Jobs: 1 (f=1)")) == ""
