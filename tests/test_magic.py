"""%load_ext nbtrack, %track and %%track through IPython's InteractiveShell."""

from __future__ import annotations

import threading

import pytest

import nbtrack
from nbtrack.dashboard import track as track_module

IPython = pytest.importorskip("IPython")


@pytest.fixture
def shell():
    from IPython.core.interactiveshell import InteractiveShell

    ip = InteractiveShell.instance()
    ip.run_line_magic("load_ext", "nbtrack")
    yield ip
    ip.run_line_magic("unload_ext", "nbtrack")
    track_module.stop_all()


def _watchers() -> int:
    return sum(t.name == "nbtrack-track" and t.is_alive() for t in threading.enumerate())


def _run(shell, capsys, code):
    result = shell.run_cell(code)
    out = capsys.readouterr()
    return result, out.out, out.err


def test_track_shows_a_logdir_and_rerunning_leaves_one_watcher(shell, capsys, tmp_path):
    with nbtrack.init(dir=tmp_path, name="a") as run:
        run.log({"loss": 1.0})
    for _ in range(10):
        result, _out, err = _run(shell, capsys, f"%track --logdir {tmp_path} --reload 0.2")
        assert result.success and not err, err
    assert len(track_module.active()) == 1
    assert _watchers() == 1
    (view,) = track_module.active()
    assert [r["name"] for r in view.snapshot["runs"]] == ["a"]


def test_paths_with_spaces_and_chinese_characters(shell, capsys, tmp_path):
    folder = tmp_path / "my runs" / "实验 1"
    with nbtrack.init(dir=folder, name="r") as run:
        run.log({"loss": 1.0})
    for line in (f'%track --logdir "{folder}"', f"%track '{folder}'"):
        result, _, err = _run(shell, capsys, line)
        assert result.success and not err, err
        assert track_module.active()[-1].run_name == str(folder)


@pytest.mark.parametrize("make, expected", [
    (lambda p: p / "missing", "does not exist yet; runs will appear here"),
    (lambda p: p, "no runs yet"),
])
def test_missing_and_empty_logdirs_give_a_note_not_a_traceback(shell, capsys, tmp_path, make, expected):
    result, out, err = _run(shell, capsys, f"%track --logdir {make(tmp_path)}")
    assert result.success and "Traceback" not in out + err
    assert expected in track_module.active()[-1].notice


@pytest.mark.parametrize("line, expected", [
    ("%track --logdir {file}", "is a file, not a folder"),
    ("%track --logdir {dir} --runs '('", "--runs '(' is not a valid regular expression"),
    ("%track --logdir {dir} --tags '[a'", "--tags '[a' is not a valid regular expression"),
    ("%track --logdir {dir} --reload 0", "reload"),
    ("%track --logdir 'unclosed", "No closing quotation"),
    ("%track --bogus", "unrecognized arguments: --bogus"),
    ("%track", "give a logdir"),
])
def test_bad_lines_are_one_clear_message(shell, capsys, tmp_path, line, expected):
    (tmp_path / "f.txt").write_text("x")
    result, out, err = _run(shell, capsys, line.format(file=tmp_path / "f.txt", dir=tmp_path))
    assert result.success, result.error_in_exec
    assert expected in err and "Traceback" not in out + err
    assert _watchers() == 0


def test_help_is_argparse_help(shell, capsys):
    result, out, err = _run(shell, capsys, "%track --help")
    assert result.success and "--logdir DIR" in out and "--logdir_spec" in out and not err


def test_loading_twice_registers_once_and_unloading_stops_watchers(shell, capsys, tmp_path):
    shell.run_line_magic("load_ext", "nbtrack")  # IPython: already loaded, no second registration
    shell.run_line_magic("reload_ext", "nbtrack")
    assert "track" in shell.magics_manager.magics["line"] and "track" in shell.magics_manager.magics["cell"]
    _run(shell, capsys, f"%track {tmp_path} --reload 0.2")
    assert _watchers() == 1
    shell.run_line_magic("unload_ext", "nbtrack")
    assert "track" not in shell.magics_manager.magics["line"]
    assert _watchers() == 0 and track_module.active() == []
    shell.run_line_magic("load_ext", "nbtrack")


def test_cell_magic_records_a_run(shell, capsys, tmp_path):
    magic = f"%%track --project p --name cell-run --config '{{\"lr\": 0.1}}' --dir {tmp_path}"
    result, _out, err = _run(shell, capsys, magic + """
import nbtrack
for step in range(5):
    nbtrack.log({"loss": 1 / (step + 1)})
""")
    assert result.success, err
    reader = nbtrack.open(tmp_path).run("cell-run")
    assert reader.status == "finished" and reader.config == {"lr": 0.1}
    assert reader.history()["loss"].tolist()[-1] == 0.2
    assert nbtrack.run is None


def test_cell_magic_marks_a_failing_cell_failed_and_still_raises(shell, capsys, tmp_path):
    result, _out, _err = _run(shell, capsys, f"""%%track --name boom --dir {tmp_path}
import nbtrack
nbtrack.log({{"loss": 1.0}})
raise RuntimeError("diverged")
""")
    assert not result.success and isinstance(result.error_in_exec, RuntimeError)
    reader = nbtrack.open(tmp_path).run("boom")
    assert reader.status == "failed"  # the program said it failed (FORMAT.md 2.1); crashed means it died
    assert reader.history()["loss"].tolist() == [1.0]


def test_cell_magic_bad_config_is_a_clear_message(shell, capsys, tmp_path):
    result, _out, err = _run(shell, capsys, f"%%track --dir {tmp_path} --config '{{nope'\nx = 1\n")
    assert result.success and "--config: not valid JSON" in err


def test_export_writes_a_report_of_the_shown_runs_each_time_the_magic_runs(shell, capsys, tmp_path):
    for name in ("keep", "drop"):
        with nbtrack.init(dir=tmp_path / "runs", name=name) as run:
            run.log({"loss": 1.0, "acc": 0.5})
    target = tmp_path / "out" / "report.html"
    target.parent.mkdir()
    result, out, err = _run(shell, capsys, f"%track {tmp_path / 'runs'} --runs keep --tags loss --export {target}")
    assert result.success and f"wrote the report {target}" in out + err
    page = target.read_text()
    assert 'class="nbtrack-report-header"' in page and "keep" in page and "drop" not in page
    first = target.stat().st_mtime_ns
    with nbtrack.init(dir=tmp_path / "runs", name="keep") as run:  # a new run, then the magic again
        run.log({"loss": 2.0})
    _run(shell, capsys, f"%track {tmp_path / 'runs'} --runs keep --tags loss --export {target}")
    assert target.stat().st_mtime_ns != first and target.read_text().count("<details data-run=") == 2
    result, out, err = _run(shell, capsys, f"%track {tmp_path / 'runs'} --export {tmp_path / 'no' / 'such' / 'x.html'}")
    assert result.success and "%track --export: no report written" in out + err
