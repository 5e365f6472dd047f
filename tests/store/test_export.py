

def test_the_logdirs_problems_are_warned(small_logdir, tmp_path):
    half = small_logdir / "half-made"
    (half / "data").mkdir(parents=True)
    os.utime(half, (time.time() - 60, time.time() - 60))  # not a run being created: a run without run.json
    with pytest.warns(RuntimeWarning, match=r"half-made: folder looks like a run .* but has no run.json"):
        result = export_logdir(small_logdir, tmp_path / "out", progress=False)
    assert result.runs == 4 and result.skipped == []
