"""The ``nbtrack`` command: ``demo`` records runs and a dashboard page, ``ls`` lists the runs of a logdir (as a
table or JSON), ``rm`` moves runs to the logdir's trash, ``report`` and ``export`` write files (tested once
their libraries are there); usage errors exit 2, failures 1, each one line on stderr; in process
(``nbtrack.cli.main``) and as ``python -m nbtrack``."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

import nbtrack
from nbtrack import _version
from nbtrack.cli import _common, build_parser, main

ROOT = Path(__file__).resolve().parents[1]
STEPS = 20


def _nbtrack(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """``python -m nbtrack ARGS`` with this checkout first on the path."""
    env = {**os.environ, "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    return subprocess.run([sys.executable, "-m", "nbtrack", *args], capture_output=True, text=True, env=env,
                          cwd=cwd, timeout=120)


@pytest.fixture(scope="module")
def demo_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A logdir recorded once by ``nbtrack demo`` (in process) for the ``ls`` tests."""
    path = tmp_path_factory.mktemp("cli") / "nbruns"
    assert main(["demo", "--dir", str(path), "--steps", str(STEPS)]) == 0
    return path


def test_demo_records_four_finished_runs_and_a_dashboard_page(tmp_path, capsys):
    logdir = tmp_path / "demo"
    assert main(["demo", "--dir", str(logdir), "--steps", str(STEPS)]) == 0
    out = capsys.readouterr().out
    runs = nbtrack.open(logdir).runs()
    assert f"recorded 4 runs in {logdir}" in out
    assert len(runs) == 4 and set(runs["status"]) == {"finished"}
    for run_id, name in zip(runs["id"], runs["name"]):
        assert run_id in out and name in out
    page = logdir / "report.html"
    assert page.is_file() and str(page) in out
    assert all(len(nbtrack.open(logdir).run(run_id).scalars("train/loss")) == STEPS for run_id in runs["id"])


def test_ls_names_every_run_with_its_status_age_duration_and_summary(demo_dir, capsys):
    assert main(["ls", str(demo_dir)]) == 0
    captured = capsys.readouterr()
    header, *rows = captured.out.strip().splitlines()
    assert header.split()[:5] == ["id", "name", "status", "age", "duration"]
    assert "train/loss" in header.split()
    runs = nbtrack.open(demo_dir).runs()
    assert len(rows) == len(runs) == 4
    for run_id, name in zip(runs["id"], runs["name"]):
        assert any(run_id in row and name in row and "finished" in row for row in rows)
    assert captured.err == ""
    assert "\x1b[" not in captured.out  # not a terminal: no colour


def test_ls_max_metrics_limits_the_summary_columns(demo_dir, capsys):
    assert main(["ls", str(demo_dir), "--max-metrics", "1"]) == 0
    header = capsys.readouterr().out.splitlines()[0]
    assert header.split()[5:] == ["train/loss"]


def test_ls_of_an_empty_logdir_says_so(tmp_path, capsys):
    assert main(["ls", str(tmp_path)]) == 0
    captured = capsys.readouterr()
    assert captured.out.strip() == f"no runs in {tmp_path}" and captured.err == ""


def test_ls_of_a_missing_logdir_is_a_clear_error_and_exit_code_2(tmp_path, capsys):
    missing = tmp_path / "no-such-dir"
    assert main(["ls", str(missing)]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.startswith("nbtrack ls: ") and str(missing) in captured.err
    assert "does not exist" in captured.err and "Traceback" not in captured.err
    assert len(captured.err.splitlines()) == 1


def test_no_command_or_an_unknown_one_is_a_usage_error(capsys):
    for argv in ([], ["frobnicate"]):
        with pytest.raises(SystemExit) as exc:
            main(argv)
        assert exc.value.code == 2
        assert "usage: nbtrack" in capsys.readouterr().err


@pytest.mark.slow
def test_python_m_nbtrack_demo_then_ls(tmp_path):
    logdir = tmp_path / "nbruns"
    demo = _nbtrack("demo", "--dir", str(logdir), "--steps", str(STEPS), cwd=tmp_path)
    assert demo.returncode == 0, demo.stderr
    assert f"recorded 4 runs in {logdir}" in demo.stdout and (logdir / "report.html").is_file()
    listing = _nbtrack("ls", str(logdir), cwd=tmp_path)
    assert listing.returncode == 0, listing.stderr
    runs = nbtrack.open(logdir).runs()
    for run_id, name in zip(runs["id"], runs["name"]):
        assert run_id in listing.stdout and name in listing.stdout


def test_python_m_nbtrack_ls_of_a_missing_logdir_exits_non_zero(tmp_path):
    result = _nbtrack("ls", "no-such-dir", cwd=tmp_path)
    assert result.returncode == 2
    assert result.stdout == ""
    assert "nbtrack ls: " in result.stderr and "no-such-dir" in result.stderr and "does not exist" in result.stderr
    assert "Traceback" not in result.stderr


# -- the whole command ---------------------------------------------------------------------------------------
COMMANDS = ["ls", "report", "export", "import-tb", "rm", "demo"]


def test_version_prints_the_package_version(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["--version"])
    assert exc.value.code == 0
    assert capsys.readouterr().out.strip() == f"nbtrack {_version.__version__}"


@pytest.mark.parametrize("command", COMMANDS)
def test_every_subcommand_has_help_with_a_description_and_examples(command, capsys):
    with pytest.raises(SystemExit) as exc:
        main([command, "--help"])
    assert exc.value.code == 0
    out = capsys.readouterr().out
    assert out.startswith(f"usage: nbtrack {command}")
    examples = out.split("Examples:\n", 1)[1]
    assert examples.splitlines()[0].strip().startswith(f"nbtrack {command}")  # the example kept its line
    assert "exit codes:" in out


def test_the_top_level_help_lists_every_subcommand(capsys):
    with pytest.raises(SystemExit):
        main(["--help"])
    out = capsys.readouterr().out
    assert all(command in out for command in COMMANDS) and "exit codes:" in out


def test_a_bad_option_is_a_usage_error(tmp_path, capsys):
    with pytest.raises(SystemExit) as exc:
        main(["ls", str(tmp_path), "--no-such-option"])
    assert exc.value.code == 2
    assert "unrecognized arguments: --no-such-option" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exc:
        main(["report", str(tmp_path)])  # -o is required
    assert exc.value.code == 2
    assert "usage: nbtrack report" in capsys.readouterr().err


def test_an_unexpected_error_is_one_line_unless_nbtrack_debug(tmp_path, capsys, monkeypatch):
    def boom(args):
        raise RuntimeError("disk on fire\nsecond line")

    monkeypatch.setattr("nbtrack.cli.ls._read_runs", lambda folder: boom(None))
    monkeypatch.delenv("NBTRACK_DEBUG", raising=False)
    assert main(["ls", str(tmp_path)]) == 1
    err = capsys.readouterr().err
    assert err.splitlines() == ["nbtrack ls: RuntimeError: disk on fire second line "
                                "(run with NBTRACK_DEBUG=1 for the traceback)"]
    monkeypatch.setenv("NBTRACK_DEBUG", "1")
    with pytest.raises(RuntimeError):
        main(["ls", str(tmp_path)])


def test_colour_only_on_a_terminal_without_no_color(monkeypatch):
    class Terminal:
        def isatty(self) -> bool:
            return True

    monkeypatch.delenv("NO_COLOR", raising=False)
    assert _common.use_colour(Terminal()) is True
    assert _common.use_colour(sys.__stdout__) is sys.__stdout__.isatty()
    monkeypatch.setenv("NO_COLOR", "1")
    assert _common.use_colour(Terminal()) is False


def test_progress_bars_only_when_stderr_is_a_terminal(monkeypatch):
    assert _common.progress_option(quiet=True) is False
    monkeypatch.setattr(sys.stderr, "isatty", lambda: False, raising=False)
    assert _common.progress_option(quiet=False) is False
    monkeypatch.setattr(sys.stderr, "isatty", lambda: True, raising=False)
    assert _common.progress_option(quiet=False) is None


# -- ls ----------------------------------------------------------------------------------------------------
def test_ls_colours_the_status_on_a_terminal_but_never_in_json(demo_dir, capsys, monkeypatch):
    monkeypatch.setattr("nbtrack.cli.ls.use_colour", lambda: True)
    with nbtrack.init(dir=demo_dir.parent / "coloured", name="bad") as run:
        run.log({"loss": 1.0})
        run.finish(exit_code=1)
    assert main(["ls", str(demo_dir.parent / "coloured")]) == 0
    out = capsys.readouterr().out
    assert "\x1b[31mfailed" in out and "\x1b[1mid" in out
    assert main(["ls", str(demo_dir.parent / "coloured"), "--json"]) == 0
    assert "\x1b" not in capsys.readouterr().out


def test_ls_json_is_an_array_with_every_field(demo_dir, capsys):
    assert main(["ls", str(demo_dir), "--json"]) == 0
    captured = capsys.readouterr()
    runs = json.loads(captured.out)
    assert len(runs) == 4 and captured.err == ""
    for run in runs:
        assert {"id", "name", "project", "group", "status", "created", "updated", "duration_s", "path", "notes",
                "config", "summary"} <= set(run)
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", run["created"])
        assert run["duration_s"] >= 0 and Path(run["path"]).is_dir()
        assert isinstance(run["config"]["lr"], float) and "train/loss" in run["summary"]
    table = nbtrack.open(demo_dir).runs()
    assert [r["id"] for r in runs] == table["id"].tolist()


def test_ls_json_writes_nan_and_infinity_as_null_and_keeps_config_nested(tmp_path, capsys):
    with nbtrack.init(dir=tmp_path, name="odd", config={"opt": {"lr": 0.1, "eps": float("nan")}}) as run:
        run.log({"loss": float("nan"), "gain": float("inf")})
        run.summary["best"] = float("-inf")
    assert main(["ls", str(tmp_path), "--json"]) == 0
    out = capsys.readouterr().out
    (run_json,) = json.loads(out, parse_constant=lambda name: pytest.fail(f"{name} in the JSON"))
    assert run_json["config"] == {"opt": {"lr": 0.1, "eps": None}}
    assert run_json["summary"]["best"] is None and run_json["summary"]["gain"] is None


def test_ls_summary_picks_the_columns_and_sort_orders_by_one(demo_dir, capsys):
    assert main(["ls", str(demo_dir), "--summary", "train/loss", "--sort", "train/loss"]) == 0
    header, *rows = capsys.readouterr().out.strip().splitlines()
    assert header.split() == ["id", "name", "status", "age", "duration", "train/loss"]
    losses = [float(row.split()[-1]) for row in rows]
    assert losses == sorted(losses) and len(losses) == 4
    assert main(["ls", str(demo_dir), "--summary", "summary.train/loss", "--sort", "train/loss", "--reverse"]) == 0
    losses = [float(row.split()[-1]) for row in capsys.readouterr().out.strip().splitlines()[1:]]
    assert losses == sorted(losses, reverse=True)


def test_ls_runs_filters_by_a_regex_and_a_bad_one_is_exit_2(demo_dir, capsys):
    name = nbtrack.open(demo_dir).runs()["name"].iloc[0]
    assert main(["ls", str(demo_dir), "--runs", f"^{re.escape(name)}$"]) == 0
    assert len(capsys.readouterr().out.strip().splitlines()) == 2
    assert main(["ls", str(demo_dir), "--runs", "^nothing-like-this$"]) == 0
    assert "no runs matching --runs" in capsys.readouterr().out
    assert main(["ls", str(demo_dir), "--runs", "("]) == 2
    err = capsys.readouterr().err
    assert err.startswith("nbtrack ls: --runs '('") and "regular expression" in err and len(err.splitlines()) == 1


def test_ls_unknown_summary_or_sort_key_is_exit_2_naming_the_keys(demo_dir, capsys):
    assert main(["ls", str(demo_dir), "--summary", "val/nope"]) == 2
    err = capsys.readouterr().err
    assert "--summary 'val/nope'" in err and "train/loss" in err
    assert main(["ls", str(demo_dir), "--sort", "val/nope"]) == 2
    assert "--sort 'val/nope'" in capsys.readouterr().err


def test_ls_of_a_file_is_exit_2(tmp_path, capsys):
    (tmp_path / "file.txt").write_text("x")
    assert main(["ls", str(tmp_path / "file.txt")]) == 2
    assert "is not a folder" in capsys.readouterr().err


def test_ls_warns_of_a_damaged_run_on_stderr_and_keeps_stdout_clean(tmp_path, capsys):
    for name in ("good", "bad"):
        with nbtrack.init(dir=tmp_path, name=name, id=name) as run:
            run.log({"loss": 1.0})
    (tmp_path / "bad" / "run.json").write_text("{not json")
    assert main(["ls", str(tmp_path), "--json"]) == 0
    captured = capsys.readouterr()
    assert [r["id"] for r in json.loads(captured.out)] == ["good"]
    assert captured.err.startswith("nbtrack ls: skipped: ") and "bad" in captured.err


def test_python_m_nbtrack_ls_never_colours_a_pipe(demo_dir, tmp_path):
    result = _nbtrack("ls", str(demo_dir), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "\x1b" not in result.stdout and "finished" in result.stdout


# -- rm ----------------------------------------------------------------------------------------------------
@pytest.fixture
def three_runs(tmp_path: Path) -> Path:
    """A logdir of three finished runs with ids and names a, b, c."""
    logdir = tmp_path / "runs"
    for name in ("a", "b", "c"):
        with nbtrack.init(dir=logdir, id=name, name=f"run-{name}") as run:
            run.log({"loss": 1.0})
    return logdir


def _ids(logdir: Path) -> list[str]:
    return sorted(nbtrack.open(logdir).runs()["id"])


def test_rm_moves_a_run_to_the_trash_and_ls_no_longer_lists_it(three_runs, capsys):
    assert main(["rm", str(three_runs), "a", "run-b"]) == 0
    out = capsys.readouterr().out
    assert "moved a (run-a)" in out and "2 runs moved" in out
    assert _ids(three_runs) == ["c"]
    trashed = sorted(p.name for p in (three_runs / ".trash").iterdir() if p.is_dir())
    assert len(trashed) == 2 and trashed[0].endswith("-a") and trashed[1].endswith("-b")
    assert (three_runs / ".trash" / trashed[0] / "run.json").is_file()
    assert main(["ls", str(three_runs)]) == 0
    listing = capsys.readouterr().out
    assert "run-c" in listing and "run-a" not in listing and "run-b" not in listing


def test_rm_runs_regex_and_dry_run_changes_nothing(three_runs, capsys):
    assert main(["rm", str(three_runs), "--runs", "^run-[ab]$", "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "would move a (run-a)" in out and "would move b (run-b)" in out and "nothing changed" in out
    assert _ids(three_runs) == ["a", "b", "c"] and not (three_runs / ".trash").exists()
    assert main(["rm", str(three_runs), "--runs", "^run-[ab]$"]) == 0
    assert _ids(three_runs) == ["c"]


def test_rm_purge_refuses_without_yes_off_a_terminal(three_runs, capsys, monkeypatch):
    monkeypatch.setattr(sys.stdin, "isatty", lambda: False, raising=False)
    assert main(["rm", str(three_runs), "a", "--purge"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("nbtrack rm: --purge") and "--yes" in err and len(err.splitlines()) == 1
    assert _ids(three_runs) == ["a", "b", "c"]
    assert main(["rm", str(three_runs), "a", "--purge", "--yes"]) == 0
    assert _ids(three_runs) == ["b", "c"]
    assert not (three_runs / "a").exists() and not any((three_runs / ".trash").iterdir())


def test_rm_purge_on_a_terminal_asks_first(three_runs, capsys, monkeypatch):
    monkeypatch.setattr(sys.stdin, "isatty", lambda: True, raising=False)
    monkeypatch.setattr("builtins.input", lambda prompt: "n")
    assert main(["rm", str(three_runs), "a", "--purge"]) == 1
    assert "nothing deleted" in capsys.readouterr().out and _ids(three_runs) == ["a", "b", "c"]
    monkeypatch.setattr("builtins.input", lambda prompt: "y")
    assert main(["rm", str(three_runs), "a", "--purge"]) == 0
    assert _ids(three_runs) == ["b", "c"]


def test_rm_refuses_a_running_run_unless_force(three_runs, capsys):
    run = nbtrack.init(dir=three_runs, id="live", name="live")
    try:
        run.log({"loss": 1.0})
        assert nbtrack.open(three_runs).run("live").status == "running"
        assert main(["rm", str(three_runs), "live"]) == 1
        err = capsys.readouterr().err
        assert err.startswith("nbtrack rm: refused: live is running") and "--force" in err
        assert "live" in _ids(three_runs)
    finally:
        run.finish()
    assert main(["rm", str(three_runs), "live"]) == 0
    assert "live" not in _ids(three_runs)


def test_rm_of_a_run_that_is_not_there_is_exit_2(three_runs, capsys):
    assert main(["rm", str(three_runs), "no-such-run"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("nbtrack rm: RUN 'no-such-run': no run with id or name") and len(err.splitlines()) == 1
    assert main(["rm", str(three_runs), "--runs", "^zzz"]) == 2
    assert "matches no run" in capsys.readouterr().err
    assert main(["rm", str(three_runs)]) == 2
    assert "name the runs to remove" in capsys.readouterr().err
    assert main(["rm", str(three_runs.parent / "missing"), "a"]) == 2
    assert _ids(three_runs) == ["a", "b", "c"]


def test_rm_never_reaches_outside_the_logdir(three_runs, tmp_path, capsys):
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "run.json").write_text("{}")
    for name in ("../outside", str(outside), ".trash", "."):
        assert main(["rm", str(three_runs), name]) == 2, name
    (three_runs / "link").symlink_to(outside, target_is_directory=True)
    assert main(["rm", str(three_runs), "link"]) in (1, 2)
    assert (outside / "run.json").is_file() and (three_runs / "link").is_symlink()
    capsys.readouterr()


def test_rm_removes_a_damaged_run_by_its_folder(three_runs, capsys):
    (three_runs / "b" / "run.json").write_text("{not json")
    assert main(["rm", str(three_runs), "b"]) == 0
    assert "moved b" in capsys.readouterr().out
    assert not (three_runs / "b").exists() and len(list((three_runs / ".trash").glob("*-b"))) == 1


# -- report and export: tested once their libraries are merged ------------------------------------------
def _report():
    return pytest.importorskip("nbtrack.reports")


def test_report_writes_the_file_and_says_so(three_runs, tmp_path, capsys):
    _report()
    page = tmp_path / "report.html"
    assert main(["report", str(three_runs), "-o", str(page), "--quiet", "--title", "three"]) == 0
    out = capsys.readouterr().out
    assert page.is_file() and page.stat().st_size > 0
    assert re.search(rf"wrote {re.escape(str(page))} \(3 runs, \d+\.\d MB\) in \d+\.\d s", out), out


def test_report_of_a_missing_logdir_is_exit_2_and_one_line(tmp_path, capsys):
    _report()
    assert main(["report", str(tmp_path / "missing"), "-o", str(tmp_path / "r.html")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("nbtrack report: ") and "missing" in err and len(err.splitlines()) == 1
    assert not (tmp_path / "r.html").exists()


def test_report_of_an_empty_logdir_is_a_clear_non_zero_exit(tmp_path, capsys):
    _report()
    (tmp_path / "empty").mkdir()
    assert main(["report", str(tmp_path / "empty"), "-o", str(tmp_path / "r.html"), "--quiet"]) != 0
    err = capsys.readouterr().err
    assert err.startswith("nbtrack report: ") and "run" in err and len(err.splitlines()) == 1


def test_report_with_a_damaged_run_still_writes_and_names_it(three_runs, tmp_path, capsys):
    _report()
    (three_runs / "b" / "run.json").write_text("{not json")
    page = tmp_path / "report.html"
    assert main(["report", str(three_runs), "-o", str(page), "--quiet"]) == 0
    captured = capsys.readouterr()
    assert page.is_file() and "wrote" in captured.out
    assert "nbtrack report: " in captured.err and str(three_runs / "b") in captured.err


def test_report_bad_regex_is_exit_2(three_runs, tmp_path, capsys):
    assert main(["report", str(three_runs), "-o", str(tmp_path / "r.html"), "--runs", "("]) == 2
    assert "--runs '('" in capsys.readouterr().err


def _export():
    return pytest.importorskip("nbtrack.store.export")


@pytest.mark.parametrize("fmt", ["parquet", "csv"])
def test_export_writes_files_and_refuses_to_overwrite_without_the_option(three_runs, tmp_path, capsys, fmt):
    _export()
    out_dir = tmp_path / "out"
    assert main(["export", str(three_runs), "-o", str(out_dir), "--format", fmt, "--quiet"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("exported 3 runs") and f"as {fmt}" in out and any(out_dir.iterdir())
    assert main(["export", str(three_runs), "-o", str(out_dir), "--format", fmt, "--quiet"]) == 1
    err = capsys.readouterr().err
    assert "--overwrite" in err and len(err.splitlines()) == 1
    assert main(["export", str(three_runs), "-o", str(out_dir), "--format", fmt, "--quiet", "--overwrite"]) == 0


def test_export_of_a_missing_logdir_is_exit_2_and_of_an_empty_one_non_zero(tmp_path, capsys):
    _export()
    assert main(["export", str(tmp_path / "missing"), "-o", str(tmp_path / "out")]) == 2
    assert capsys.readouterr().err.startswith("nbtrack export: ")
    (tmp_path / "empty").mkdir()
    assert main(["export", str(tmp_path / "empty"), "-o", str(tmp_path / "out2"), "--quiet"]) != 0
    assert "run" in capsys.readouterr().err


def test_export_bad_format_or_regex_is_a_usage_error(three_runs, tmp_path, capsys):
    with pytest.raises(SystemExit) as exc:
        main(["export", str(three_runs), "-o", str(tmp_path / "out"), "--format", "xlsx"])
    assert exc.value.code == 2
    assert main(["export", str(three_runs), "-o", str(tmp_path / "out"), "--tags", "["]) == 2
    assert "--tags '['" in capsys.readouterr().err


def test_the_parser_is_argparse_with_every_command():
    choices = next(a for a in build_parser()._actions if a.dest == "command").choices
    assert sorted(choices) == sorted(COMMANDS)


@pytest.mark.skipif(sys.platform == "win32", reason="a pseudo-terminal is POSIX")
@pytest.mark.parametrize("no_color", [None, "1"])
def test_python_m_nbtrack_ls_colours_a_terminal_unless_no_color(demo_dir, tmp_path, no_color):
    import pty

    master, slave = pty.openpty()
    env = {**os.environ, "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    env.pop("NO_COLOR", None)
    if no_color:
        env["NO_COLOR"] = no_color
    try:
        result = subprocess.run([sys.executable, "-m", "nbtrack", "ls", str(demo_dir)], stdout=slave,
                                stderr=subprocess.PIPE, text=True, env=env, cwd=tmp_path, timeout=120)
        os.close(slave)
        chunks = []
        while True:
            try:
                chunk = os.read(master, 65536)
            except OSError:  # the terminal's other end is closed: all read
                break
            if not chunk:
                break
            chunks.append(chunk)
    finally:
        os.close(master)
    out = b"".join(chunks).decode()
    assert result.returncode == 0, result.stderr
    assert "finished" in out
    assert ("\x1b[" in out) is (no_color is None)
