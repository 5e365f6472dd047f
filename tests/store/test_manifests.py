"""Hostile or odd manifests, folders and shapes (issue 17 items 3, 5, 6, 9, 11).

A wrong-typed field, a huge or deeply nested JSON file, a symbolic link, a folder without
``run.json``, a run of very many sparse metrics, a crashed run: each costs only itself, is
reported (``RunReader.damage`` / ``Logdir.problems``) and never crashes the others.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import nbtrack
from nbtrack.cli import main as cli_main
from nbtrack.store import logdir as logdir_module
from nbtrack.store import reader as reader_module

pytestmark = pytest.mark.filterwarnings("ignore:nbtrack. run .*skipped damaged data:RuntimeWarning")


def _two_runs(tmp_path: Path) -> tuple[Path, Path, Path]:
    """A logdir of two finished runs ("good", "bad"); returns it and the two run folders."""
    for name in ("good", "bad"):
        with nbtrack.init(dir=tmp_path, name=name, config={"lr": 0.1}) as run:
            for _ in range(3):
                run.log({"loss": 1.0})
    logdir = nbtrack.open(tmp_path)
    good, bad = (logdir.run(n).path for n in ("good", "bad"))
    return tmp_path, good, bad


def _edit_json(path: Path, **fields: Any) -> None:
    data = json.loads(path.read_text())
    data.update(fields)
    path.write_text(json.dumps(data))


def _manifest(run: Path) -> Path:
    (path,) = (run / "writers").glob("*.json")
    return path


def _all_problems(logdir: nbtrack.Logdir) -> str:
    return "\n".join(logdir.problems + [str(d) for r in logdir.readers() for d in r.damage])


# -- item 3: manifests and run.json are checked on read ---------------------------------------
@pytest.mark.parametrize("where,field,value", [
    ("writer", "config", "x"), ("writer", "summary", [1]), ("writer", "heartbeat", "x"),
    ("writer", "tags", 5), ("writer", "started", "soon"), ("writer", "status", 3),
    ("run", "created", 1e300), ("run", "config", [1, 2]), ("run", "tags", "a"),
])
def test_a_wrong_typed_field_costs_only_that_field(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                  where: str, field: str, value: Any) -> None:
    root, _, bad = _two_runs(tmp_path)
    _edit_json(_manifest(bad) if where == "writer" else bad / "run.json", **{field: value})
    logdir = nbtrack.open(root)
    table = logdir.runs()
    assert sorted(table["name"]) == ["bad", "good"]
    assert f"field {field!r}" in _all_problems(logdir)
    reader = logdir.run("bad")
    assert reader.summary.get("loss") in (1.0, None) and reader.status in ("finished", "crashed", "running")
    assert cli_main(["ls", str(root)]) == 0
    assert "good" in capsys.readouterr().out


def test_every_view_survives_a_bad_manifest(tmp_path: Path) -> None:
    root, _, bad = _two_runs(tmp_path)
    _edit_json(_manifest(bad), config="x", summary=[1], heartbeat="x", tags=5)
    _edit_json(bad / "run.json", created=1e300)
    logdir = nbtrack.open(root)
    assert len(logdir.runs()) == 2
    assert "2 runs" in repr(logdir.show())
    assert logdir.run("bad").show() is not None


def test_huge_and_deeply_nested_manifests_are_refused_not_read(tmp_path: Path) -> None:
    root, good, bad = _two_runs(tmp_path)
    manifest = _manifest(bad)
    with open(manifest, "w") as f:  # 17 MiB: over the bound, never parsed
        f.write('{"config": {"pad": "' + "x" * (17 * 2**20) + '"}}')
    deep = 100_000
    _edit_json(good / "run.json")
    (good / "writers" / "deep.json").write_text('{"config": ' + '{"a": ' * deep + "1" + "}" * deep + "}")
    logdir = nbtrack.open(root)
    assert len(logdir.runs()) == 2
    problems = _all_problems(logdir)
    assert "larger than 16,777,216 bytes" in problems and "nested too deeply" in problems


def test_nesting_within_the_parser_but_beyond_the_bound_is_dropped(tmp_path: Path) -> None:
    root, _, bad = _two_runs(tmp_path)
    nested: dict[str, Any] = {"x": 1}
    for _ in range(500):
        nested = {"a": nested}
    _edit_json(_manifest(bad), config=nested)
    logdir = nbtrack.open(root)
    assert len(logdir.runs()) == 2
    assert "nested deeper than" in _all_problems(logdir)


def test_a_kept_logdir_skips_a_run_of_an_unknown_major_version_as_a_fresh_one_does(tmp_path: Path) -> None:
    root, _, bad = _two_runs(tmp_path)
    logdir = nbtrack.open(root)
    assert len(logdir.runs()) == 2
    newer = json.loads(_manifest(bad).read_text())
    newer.update(format_version="9.0", writer_id="w9")
    (bad / "writers" / "w9.json").write_text(json.dumps(newer))
    fresh = nbtrack.open(root)
    assert list(fresh.runs()["name"]) == ["good"]
    assert list(logdir.runs()["name"]) == ["good"]
    assert [r.name for r in logdir.select()] == ["good"]
    assert any("9.0" in p for p in logdir.problems) and any("9.0" in p for p in fresh.problems)


# -- item 5: symbolic links are refused in writers/ and data/ ---------------------------------
def test_a_symlinked_writer_manifest_is_refused_and_reported(tmp_path: Path) -> None:
    root, _, bad = _two_runs(tmp_path / "logs")
    outside = tmp_path / "secret.json"
    outside.write_text(json.dumps({"format_version": "1.0", "started": 9e9 - 1, "config": {"secret": "s3cr3t"}}))
    (bad / "writers" / "x.json").symlink_to(outside)
    logdir = nbtrack.open(root)
    reader = logdir.run("bad")
    assert "secret" not in reader.config
    assert "config.secret" not in logdir.runs().columns
    assert any("symbolic link refused" in d.reason and d.file.endswith("x.json") for d in reader.damage)
    assert "s3cr3t" not in logdir.show().save(tmp_path / "shared.html").read_text()


def test_a_symlinked_data_file_is_refused_and_reported(tmp_path: Path) -> None:
    root, good, bad = _two_runs(tmp_path)
    (other,) = (good / "data").glob("*.scalars.arrows")
    (bad / "data" / "zz-0000.scalars.arrows").symlink_to(other)
    reader = nbtrack.open(root).run("bad")
    assert len(reader.history()) == 3
    assert any("symbolic link refused" in d.reason and "zz-0000" in d.file for d in reader.damage)


def test_a_symlinked_run_json_is_refused_and_reported(tmp_path: Path) -> None:
    root, good, bad = _two_runs(tmp_path)
    (bad / "run.json").unlink()
    (bad / "run.json").symlink_to(good / "run.json")
    logdir = nbtrack.open(root)
    assert list(logdir.runs()["name"]) == ["good"]
    assert any("symbolic link" in p for p in logdir.problems)


# -- item 6: nothing vanishes silently, nothing is reported twice ------------------------------
def test_a_run_folder_without_run_json_is_reported(tmp_path: Path) -> None:
    root, _, bad = _two_runs(tmp_path)
    (bad / "run.json").unlink()
    old = time.time() - 60
    os.utime(bad, (old, old))
    logdir = nbtrack.open(root)
    assert list(logdir.runs()["name"]) == ["good"]
    assert any(bad.name in p and "looks like a run" in p and "no run.json" in p for p in logdir.problems)
    logdir.runs()
    assert len([p for p in logdir.problems if "looks like a run" in p]) == 1


def test_a_run_being_created_is_not_reported(tmp_path: Path) -> None:
    (tmp_path / "new" / "writers").mkdir(parents=True)
    logdir = nbtrack.open(tmp_path)
    assert logdir.runs().empty and logdir.problems == []


def test_an_unreadable_manifest_is_reported_once(tmp_path: Path) -> None:
    root, _, bad = _two_runs(tmp_path)
    _manifest(bad).write_text("{not json")
    logdir = nbtrack.open(root)
    reader = logdir.run("bad")
    for _ in range(3):
        logdir.runs()
        reader.refresh_manifests()
    assert len([d for d in reader.damage if "unreadable manifest" in d.reason]) == 1
    _manifest(bad).write_text("[1]")  # new content, a new report
    reader.refresh_manifests()
    reader.refresh_manifests()
    assert len([d for d in reader.damage if "unreadable manifest" in d.reason]) == 2


# -- item 9: wide, sparse runs ----------------------------------------------------------------
def test_history_of_a_wide_sparse_run_names_the_long_form(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with nbtrack.init(dir=tmp_path, name="wide") as run:
        for i in range(300):
            run.log({f"m{i}": float(i)})  # one point per metric, each at its own step
    reader = nbtrack.open(tmp_path).run("wide")
    monkeypatch.setattr(reader_module, "HISTORY_MAX_BYTES", 300 * 300 * 8 - 1)
    with pytest.raises(MemoryError, match=r"300 steps x 300 metrics.*to_arrow\(\)"):
        reader.history()
    assert reader.to_arrow().num_rows == 300
    assert reader.history(keys=["m1", "m2"]).shape == (2, 4)  # a few metrics still fit


def test_runs_caps_very_wide_config_and_summary(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for i in range(30):
        run = tmp_path / f"r{i:02d}"
        (run / "writers").mkdir(parents=True)
        (run / "run.json").write_text(json.dumps({"format_version": "1.0", "id": run.name, "created": 1e9 + i,
                                                  "config": {"lr": 0.1, **{f"c{i}_{k}": k for k in range(10)}}}))
        (run / "writers" / "w.json").write_text(json.dumps({"status": "finished", "started": 1e9 + i,
                                                           "summary": {f"s{i}_{k}": 1.0 for k in range(10)}}))
    monkeypatch.setattr(logdir_module, "MAX_COLUMNS", 50)
    with pytest.warns(RuntimeWarning, match="601 distinct config/summary keys"):
        table = nbtrack.open(tmp_path).runs()
    assert table.shape[0] == 30
    assert "config.lr" in table.columns  # the most shared key is kept
    assert len([c for c in table.columns if c.startswith(("config.", "summary."))]) == 50


def test_runs_table_keeps_pandas_types() -> None:
    rows = [{"id": "a", "created": 1.0, "tags": ["x"], "config.n": 1, "config.s": "u", "config.b": True,
             "summary.x": 1, "summary.y": 2.5, "config.big": 2**70},
            {"id": "b", "created": 2.0, "tags": [], "config.n": 2, "config.s": None, "config.b": False,
             "summary.y": None, "config.big": 1}]
    table = logdir_module._frame(rows)
    assert list(table.columns[:3]) == ["id", "created", "tags"]
    assert table["tags"].tolist() == [["x"], []]
    assert table["config.n"].dtype == np.int64 and table["config.b"].dtype == bool
    assert table["summary.x"].tolist()[0] == 1.0 and np.isnan(table["summary.x"].tolist()[1])
    assert table["config.s"].tolist()[0] == "u" and table["config.big"].tolist() == [2**70, 1]
    assert np.isnan(table["summary.y"].tolist()[1])


# -- item 11: a crashed run's summary comes from its stored data -------------------------------
def _crash(run: Path, summary: dict[str, Any]) -> None:
    _edit_json(_manifest(run), status="running", heartbeat=time.time() - 3600, exit_code=None, summary=summary,
               metrics=[{"name": "acc", "summary": ["min"], "goal": None, "step_metric": None, "hidden": False},
                        {"name": "secret*", "summary": ["last"], "goal": None, "step_metric": None, "hidden": True}])


def test_a_crashed_runs_last_values_come_from_the_stored_data(tmp_path: Path) -> None:
    with nbtrack.init(dir=tmp_path, name="crashed") as run:
        for i in range(10):
            run.log({"loss": 10.0 - i, "acc": i / 10, "late": 7.0 + i, "secret_x": 1.0})
    folder = nbtrack.open(tmp_path).run("crashed").path
    _crash(folder, {"loss": 99.0, "acc": {"min": 0.0}})  # as the last heartbeat wrote it, before "late"
    logdir = nbtrack.open(tmp_path)
    row = logdir.runs().iloc[0]
    assert row["status"] == "crashed"
    assert row["summary.loss"] == 1.0  # the value at the highest stored step, not the manifest's 99
    assert row["summary.late"] == 16.0  # logged after the last heartbeat
    assert row["summary.acc.min"] == 0.0 and row["summary_stale"] == ["acc"]  # kept, marked
    assert "summary.secret_x" not in row.index  # hidden by define_metric
    assert logdir.run("crashed").summary_stale == ["acc"]


def test_a_finished_runs_summary_reads_no_data(tmp_path: Path) -> None:
    with nbtrack.init(dir=tmp_path, name="done") as run:
        run.log({"loss": 1.0})
    logdir = nbtrack.open(tmp_path)
    table = logdir.runs()
    assert table["summary.loss"].tolist() == [1.0] and table["summary_stale"].tolist() == [[]]
    assert logdir.run("done").bytes_read == 0
