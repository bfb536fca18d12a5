from nvmeprobe.run.fio_status import job_states, parse_status


def test_write_only_line():
    s = parse_status("Jobs: 1 (f=1): [w(1)][-.-%][w=159MiB/s][w=40.7k IOPS][eta 00m:00s]")
    assert s.write_bw == 159 * 1024**2
    assert s.write_iops == 40700
    assert s.read_bw is None and s.eta_s == 0
    assert s.iops == 40700


def test_mixed_line_with_eta():
    s = parse_status("Jobs: 2 (f=2): [m(2)][40.0%][r=1024KiB/s,w=2.5MiB/s][r=256,w=640 IOPS][eta 01h:02m:03s]")
    assert s.read_bw == 1024 * 1024 and s.write_bw == 2.5 * 1024**2
    assert (s.read_iops, s.write_iops) == (256, 640)
    assert s.eta_s == 3723
    assert s.iops == 896


def test_lines_without_rates():
    assert parse_status("Jobs: 1 (f=1)") is None
    assert parse_status("") is None


def test_job_states_from_condensed_and_plain_run_strings():
    assert job_states("Jobs: 1 (f=1): [w(1)][40.0%][eta 00m:03s]") == "w"
    assert job_states("Jobs: 3 (f=3): [/(2),w(1)][-.-%][eta 00m:03s]") == "/w"
    assert job_states("Jobs: 2 (f=2): [_W][50.0%][w=1MiB/s][w=256 IOPS][eta 00m:01s]") == "_W"
    assert job_states("Jobs: 1 (f=1)") == ""  # fio's first ~2 s show no run string
    assert job_states("fio-3.33") is None and job_states("") is None
