"""Exports for data tools (``export_logdir``, ``Logdir.to_parquet`` / ``to_csv``): real files, read back
by pandas, polars and DuckDB, compared with what each run's reader returns."""

from __future__ import annotations

import ast
import json
import os
import re
import shutil
import time
import warnings
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import polars as pl
import pyarrow.parquet as pq
import pytest

import nbtrack
from nbtrack.store import exporter
from nbtrack.store.export import export_logdir

README = Path(__file__).resolve().parents[2] / "README.md"
TAGS = ("train/loss", "val/loss", "acc")
STEPS = 300
# 20 runs: plain ids, ids that look like numbers (a hive partition alone would make them numbers),
# one run in a sub-folder, and one whose run.json names an id with a slash, a space and a percent sign
IDS = [f"r{i:02d}" for i in range(16)] + ["00042", "1e5", "nested", "oddid"]
ODD_ID = "grp/a b%1"


def _record(logdir: Path, run_id: str, i: int) -> None:
    folder = logdir / "sweep" if run_id == "nested" else logdir
    config = {"opt": {"lr": 10.0 ** -(i % 4), "name": "adam"}, "seed": i, "layers": [64, 32]}
    with nbtrack.init(dir=folder, id=run_id, name=f"run-{i}", config=config) as run:
        for step in range(STEPS):
            values = {"train/loss": 1.0 / (step + 1 + i)}
            if step % 10 == 0:
                values["val/loss"] = 2.0 / (step + 1 + i)
            if i % 2 == 0 and step % 3 == 0:
                values["acc"] = step / STEPS
            run.log(values)
        run.summary["best"] = float(i)


def make_logdir(logdir: Path, ids: list[str] = IDS) -> Path:
    for i, run_id in enumerate(ids):
        _record(logdir, run_id, i)
    if "oddid" in ids:
        run_json = logdir / "oddid" / "run.json"
        identity = json.loads(run_json.read_text())
        run_json.write_text(json.dumps({**identity, "id": ODD_ID}))
    return logdir


@pytest.fixture(scope="module")
def logdir(tmp_path_factory) -> Path:
    return make_logdir(tmp_path_factory.mktemp("export") / "runs")


@pytest.fixture(scope="module")
def expected(logdir) -> dict[tuple[str, str], tuple[int, float]]:
    """(run id, tag) -> (points, sum of values), from each run's own reader."""
    lg = nbtrack.open(logdir)
    out = {}
    for reader in lg.readers():
        for tag in reader.scalar_tags():
            values = reader.scalars(tag)["value"]
            out[(reader.id, tag)] = (len(values), float(values.sum()))
    return out


@pytest.fixture(scope="module")
def parquet_export(logdir, tmp_path_factory):
    out = tmp_path_factory.mktemp("out") / "export"
    result = export_logdir(logdir, out, progress=False)
    return out, result


def _by_run_and_tag(frame: pd.DataFrame) -> dict[tuple[str, str], tuple[int, float]]:
    frame = frame.astype({"run_id": str, "tag": str})
    grouped = frame.groupby(["run_id", "tag"])["value"].agg(["count", "sum"])
    return {key: (int(row["count"]), float(row["sum"])) for key, row in grouped.iterrows()}


def _same(got: dict, expected: dict) -> None:
    assert got.keys() == expected.keys()
    for key, (count, total) in expected.items():
        assert got[key][0] == count, key
        assert got[key][1] == pytest.approx(total, rel=1e-12), key


# -- the Parquet dataset ---------------------------------------------------------------------
def test_the_store_keeps_the_unusual_ids(logdir):
    ids = {r.id for r in nbtrack.open(logdir).readers()}
    assert ids == set(IDS) - {"oddid"} | {ODD_ID} and len(ids) == 20


def test_parquet_layout_and_result(parquet_export, expected):
    out, result = parquet_export
    assert result.format == "parquet" and result.runs == 20 and result.skipped == [] and result.damaged == []
    assert result.points == sum(count for count, _ in expected.values())
    folders = sorted(p.name for p in (out / "scalars").iterdir())
    assert "run_id=grp%2Fa%20b%251" in folders and "run_id=00042" in folders and len(folders) == 20
    assert sorted(result.files) == sorted([out / "runs.parquet", out / "artifacts.parquet",
                                           *(out / "scalars").glob("*/part-0.parquet")])
    assert [p.name for p in out.parent.iterdir()] == ["export"]  # no staging folder left beside it
    schema = pq.read_schema(out / "scalars" / "run_id=r00" / "part-0.parquet")
    assert schema.names == ["run_id", "tag", "step", "wall_time", "value"]
    assert [str(t) for t in schema.types[1:]] == ["string", "int64", "double", "double"]


def test_pandas_reads_the_dataset_as_it_is(parquet_export, expected):
    out, _ = parquet_export
    frame = pd.read_parquet(out / "scalars")
    assert set(frame["run_id"].astype(str)) == {k[0] for k in expected}
    _same(_by_run_and_tag(frame), expected)


@pytest.mark.parametrize("how", ["read_parquet", "scan_parquet_hive", "glob"])
def test_polars_reads_the_dataset_as_it_is(parquet_export, expected, how):
    out, _ = parquet_export
    if how == "read_parquet":
        frame = pl.read_parquet(out / "scalars")
    elif how == "scan_parquet_hive":
        frame = pl.scan_parquet(out / "scalars", hive_partitioning=True).collect()
    else:
        frame = pl.read_parquet(f"{out}/scalars/**/*.parquet")
    assert frame.schema["run_id"] in (pl.String, pl.Categorical)
    assert "00042" in frame["run_id"].cast(pl.String).to_list()  # not the number 42
    _same(_by_run_and_tag(frame.to_pandas()), expected)


def test_duckdb_reads_the_dataset_as_it_is(parquet_export, expected):
    out, _ = parquet_export
    rows = duckdb.sql(f"SELECT run_id, tag, count(*), sum(value) FROM read_parquet('{out}/scalars/**/*.parquet', "
                      "hive_partitioning = true) GROUP BY ALL").fetchall()
    types = duckdb.sql(f"DESCRIBE SELECT run_id FROM read_parquet('{out}/scalars/**/*.parquet', "
                       "hive_partitioning = true)").fetchall()
    assert types[0][1] == "VARCHAR"
    _same({(r, t): (n, s) for r, t, n, s in rows}, expected)


def test_a_single_file_names_its_run(parquet_export):
    out, _ = parquet_export
    frame = pd.read_parquet(out / "scalars" / "run_id=grp%2Fa%20b%251" / "part-0.parquet")
    assert set(frame["run_id"].astype(str)) == {ODD_ID}


def test_runs_table_has_config_and_summary_columns(parquet_export, logdir):
    out, _ = parquet_export
    runs = pd.read_parquet(out / "runs.parquet")
    assert list(runs.columns[:10]) == ["id", "name", "project", "group", "status", "created", "updated", "tags",
                                       "notes", "path"]
    assert {"config.opt.lr", "config.opt.name", "config.seed", "config.layers", "summary.best",
            "summary.train/loss"} <= set(runs.columns)
    assert "summary_stale" not in runs.columns
    assert sorted(runs["id"]) == sorted(set(IDS) - {"oddid"} | {ODD_ID})
    by_id = runs.set_index("id")
    assert by_id.loc["r03", "config.opt.lr"] == 0.001 and by_id.loc["r03", "summary.best"] == 3.0
    assert list(by_id.loc["r03", "config.layers"]) == [64, 32]
    assert set(runs["status"]) == {"finished"}
    assert isinstance(runs["created"].dtype, pd.DatetimeTZDtype)
    expected = nbtrack.open(logdir).runs().set_index("id")
    assert by_id.loc[ODD_ID, "path"] == expected.loc[ODD_ID, "path"]
    assert duckdb.sql(f"SELECT count(*) FROM '{out}/runs.parquet'").fetchall() == [(20,)]


def test_readme_query_runs_as_written(parquet_export, logdir, tmp_path, monkeypatch):
    text = README.read_text(encoding="utf-8")
    section = text[text.index("### Exports"):]
    code = re.search(r"```python\n(.*?)```", section, re.S).group(1)
    shutil.copytree(logdir, tmp_path / "nbruns")
    monkeypatch.chdir(tmp_path)
    scope: dict = {"nbtrack": nbtrack}
    tree = ast.parse(code)
    last = ast.Expression(tree.body.pop().value)
    exec(compile(tree, "README.md", "exec"), scope)  # the README's own snippet
    frame = eval(compile(last, "README.md", "eval"), scope)
    assert len(frame) == 20 and list(frame.columns) == ["id", "name", "lr", "val_loss"]
    lg = nbtrack.open(tmp_path / "nbruns")
    for row in frame.itertuples():
        val = lg.run(row.id).scalars("val/loss")
        assert row.val_loss == pytest.approx(val[val["step"] > val["step"].max() - 100]["value"].mean())
        assert row.lr == lg.run(row.id).config["opt"]["lr"]
    assert frame["val_loss"].is_monotonic_increasing


# -- CSV ------------------------------------------------------------------------------------
def test_csv_export_reads_the_same_with_pandas(logdir, expected, tmp_path):
    result = nbtrack.open(logdir).to_csv(tmp_path / "csv", progress=False)
    assert result.format == "csv" and result.runs == 20
    assert result.files == [tmp_path / "csv" / "artifacts.csv", tmp_path / "csv" / "runs.csv",
                            tmp_path / "csv" / "scalars.csv"]
    scalars = pd.read_csv(tmp_path / "csv" / "scalars.csv", dtype={"run_id": str})
    assert list(scalars.columns) == ["run_id", "tag", "step", "wall_time", "value"]
    _same(_by_run_and_tag(scalars), expected)
    runs = pd.read_csv(tmp_path / "csv" / "runs.csv", dtype={"id": str})
    assert sorted(runs["id"]) == sorted(set(IDS) - {"oddid"} | {ODD_ID})
    row = runs.set_index("id").loc["r02"]
    assert row["config.opt.lr"] == 0.01 and row["config.opt.name"] == "adam"
    assert json.loads(row["config.layers"]) == [64, 32] and row["summary.best"] == 2.0


def test_csv_of_one_run_with_filters(logdir, tmp_path):
    result = export_logdir(logdir, tmp_path / "csv", format="csv", runs="^r01$", tags="^val/", progress=False)
    scalars = pd.read_csv(tmp_path / "csv" / "scalars.csv")
    assert result.runs == 1 and set(scalars["run_id"]) == {"r01"} and set(scalars["tag"]) == {"val/loss"}
    assert len(scalars) == result.points == STEPS // 10


# -- choosing runs and tags -----------------------------------------------------------------
def test_runs_regex_matches_name_id_or_path(logdir, tmp_path):
    by_id = export_logdir(logdir, tmp_path / "a", runs=r"^r0[0-4]$", progress=False)
    by_name = export_logdir(logdir, tmp_path / "b", runs=r"^run-1[0-2]$", progress=False)
    by_path = export_logdir(logdir, tmp_path / "c", runs=r"^sweep/", progress=False)
    by_odd_id = export_logdir(logdir, tmp_path / "d", runs=re.escape(ODD_ID), progress=False)
    assert (by_id.runs, by_name.runs, by_path.runs, by_odd_id.runs) == (5, 3, 1, 1)
    assert sorted(pd.read_parquet(tmp_path / "c" / "runs.parquet")["id"]) == ["nested"]
    assert sorted(pd.read_parquet(tmp_path / "b" / "runs.parquet")["name"]) == ["run-10", "run-11", "run-12"]


def test_tags_regex_keeps_only_those_tags(logdir, expected, tmp_path):
    result = export_logdir(logdir, tmp_path / "out", tags=r"loss$", progress=False)
    frame = pd.read_parquet(tmp_path / "out" / "scalars")
    assert set(frame["tag"]) == {"train/loss", "val/loss"}
    _same(_by_run_and_tag(frame), {k: v for k, v in expected.items() if k[1] != "acc"})
    assert result.points == len(frame)


@pytest.mark.parametrize("argument", ["runs", "tags"])
def test_a_bad_regex_is_a_value_error_naming_the_argument(logdir, tmp_path, argument):
    with pytest.raises(ValueError, match=rf"{argument}=.*not a valid regular expression"):
        export_logdir(logdir, tmp_path / "out", **{argument: "("})
    assert not (tmp_path / "out").exists()


def test_no_run_matching_is_a_value_error(logdir, tmp_path):
    with pytest.raises(ValueError, match=re.escape("no run matches runs='^nothing' in logdir")):
        export_logdir(logdir, tmp_path / "out", runs="^nothing", progress=False)
    assert list(tmp_path.iterdir()) == []


def test_an_unknown_format_is_a_value_error(logdir, tmp_path):
    with pytest.raises(ValueError, match="'xlsx' is not a known format; choose 'parquet' or 'csv'"):
        export_logdir(logdir, tmp_path / "out", format="xlsx")


# -- errors ---------------------------------------------------------------------------------
def test_a_missing_logdir_is_file_not_found_naming_it(tmp_path):
    with pytest.raises(FileNotFoundError, match=re.escape(str(tmp_path / "nope"))):
        export_logdir(tmp_path / "nope", tmp_path / "out")


def test_an_empty_logdir_is_a_value_error(tmp_path):
    (tmp_path / "empty").mkdir()
    with pytest.raises(ValueError, match="no runs in logdir"):
        export_logdir(tmp_path / "empty", tmp_path / "out", progress=False)
    assert not (tmp_path / "out").exists()


def test_a_non_empty_out_dir_is_refused_unless_overwrite(logdir, tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "mine.txt").write_text("keep me")
    with pytest.raises(FileExistsError, match=r"is not empty.*overwrite=True"):
        export_logdir(logdir, out, runs="^r00$", progress=False)
    export_logdir(logdir, out, runs="^r00$", progress=False, overwrite=True)
    export_logdir(logdir, out, runs="^r01$", progress=False, overwrite=True)  # replaces the first export
    assert sorted(p.name for p in (out / "scalars").iterdir()) == ["run_id=r01"]
    assert (out / "mine.txt").read_text() == "keep me"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]
    with pytest.raises(FileExistsError, match="is a file"):
        export_logdir(logdir, out / "mine.txt", progress=False)


def test_an_empty_out_dir_is_used(logdir, tmp_path):
    (tmp_path / "out").mkdir()
    assert export_logdir(logdir, tmp_path / "out", runs="^r00$", progress=False).runs == 1
    assert (tmp_path / "out" / "scalars" / "run_id=r00" / "part-0.parquet").is_file()


def test_a_failed_export_leaves_nothing_that_looks_complete(logdir, tmp_path, monkeypatch):
    def fail(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(exporter, "_write_runs_table", fail)
    with pytest.raises(OSError, match="disk full"):
        export_logdir(logdir, tmp_path / "out", runs="^r0[01]$", progress=False)
    assert list(tmp_path.iterdir()) == []


# -- damaged runs ---------------------------------------------------------------------------
@pytest.fixture
def small_logdir(tmp_path) -> Path:
    return make_logdir(tmp_path / "runs", ["a1", "b2", "c3", "d4"])


def test_an_unreadable_run_is_skipped_named_and_warned(small_logdir, tmp_path):
    (small_logdir / "b2" / "run.json").write_text("{not json")
    with pytest.warns(RuntimeWarning, match=r"skipped b2: .*not a readable nbtrack run"):
        result = export_logdir(small_logdir, tmp_path / "out", progress=False)
    assert result.runs == 3 and len(result.skipped) == 1 and result.skipped[0].startswith("b2: ")
    assert sorted(pd.read_parquet(tmp_path / "out" / "runs.parquet")["id"]) == ["a1", "c3", "d4"]
    assert set(pd.read_parquet(tmp_path / "out" / "scalars")["run_id"].astype(str)) == {"a1", "c3", "d4"}


def test_a_run_failing_while_read_is_skipped(small_logdir, tmp_path, monkeypatch):
    real = exporter.run_points

    def run_points(reader, tags):
        if reader.id == "c3":
            raise nbtrack.FormatError("c3 is broken")
        return real(reader, tags)

    monkeypatch.setattr(exporter, "run_points", run_points)
    with pytest.warns(RuntimeWarning, match=re.escape("skipped c3 (run-2): c3 is broken")):
        result = nbtrack.open(small_logdir).to_parquet(tmp_path / "out", progress=False)
    assert result.skipped == ["c3 (run-2): c3 is broken"] and result.runs == 3
    assert sorted(p.name for p in (tmp_path / "out" / "scalars").iterdir()) == ["run_id=a1", "run_id=b2",
                                                                                 "run_id=d4"]


def test_a_damaged_data_file_exports_what_can_be_read(small_logdir, tmp_path):
    data = next((small_logdir / "d4" / "data").glob("*.scalars.arrows"))
    raw = bytearray(data.read_bytes())
    middle = len(raw) // 2
    raw[middle:middle + 64] = b"\xff" * 64
    data.write_bytes(bytes(raw))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = export_logdir(small_logdir, tmp_path / "out", progress=False)
    assert result.runs == 4 and result.skipped == []
    assert result.damaged and result.damaged[0].startswith("d4 (run-3): ")
    assert any("d4 (run-3): exported without records that could not be read" in str(w.message) for w in caught)
    frame = pd.read_parquet(tmp_path / "out" / "scalars")
    assert 0 < (frame["run_id"] == "d4").sum() < (frame["run_id"] == "c3").sum()


def test_every_run_unreadable_is_a_value_error_naming_them(small_logdir, tmp_path):
    for run_id in ("a1", "b2", "c3", "d4"):
        (small_logdir / run_id / "run.json").write_text("garbage")
    with pytest.warns(RuntimeWarning), pytest.raises(ValueError, match="4 could not be read: a1: "):
        export_logdir(small_logdir, tmp_path / "out", progress=False)
    assert not (tmp_path / "out").exists()


def test_a_duplicate_run_id_is_skipped(small_logdir, tmp_path):
    shutil.copytree(small_logdir / "a1", small_logdir / "copy-of-a1")
    with pytest.warns(RuntimeWarning, match="another run with id 'a1' was exported already"):
        result = export_logdir(small_logdir, tmp_path / "out", progress=False)
    assert result.runs == 4 and len(result.skipped) == 1


# -- a Logdir the caller keeps, progress ----------------------------------------------------
def test_a_given_logdir_keeps_its_points(small_logdir, tmp_path):
    lg = nbtrack.open(small_logdir)
    before = lg.to_arrow().num_rows
    export_logdir(lg, tmp_path / "out", progress=False)
    assert lg.to_arrow().num_rows == before
    assert lg.run("a1").scalars("train/loss")["value"].size == STEPS


def test_progress_is_off_when_stderr_is_not_a_terminal(small_logdir, tmp_path, capsys):
    export_logdir(small_logdir, tmp_path / "quiet", progress=None)
    assert capsys.readouterr().err == ""
    export_logdir(small_logdir, tmp_path / "shown", progress=True)
    err = capsys.readouterr().err
    assert "export" in err and "4/4" in err


def test_dataset_values_equal_to_arrow(small_logdir, tmp_path):
    lg = nbtrack.open(small_logdir)
    export_logdir(lg, tmp_path / "out", progress=False)
    got = pd.read_parquet(tmp_path / "out" / "scalars").astype({"run_id": str, "tag": str})
    want = lg.to_pandas().astype({"run_id": str, "tag": str})
    key = ["run_id", "tag", "step"]
    got, want = got.sort_values(key).reset_index(drop=True), want.sort_values(key).reset_index(drop=True)
    numbers = ["step", "wall_time", "value"]
    assert np.array_equal(got[numbers].to_numpy(), want[numbers].to_numpy())
    assert got["run_id"].tolist() == want["run_id"].tolist() and got["tag"].tolist() == want["tag"].tolist()


def test_a_crashed_runs_summary_comes_from_its_stored_data(tmp_path):
    with nbtrack.init(dir=tmp_path / "runs", id="lost") as run:
        for step in range(5):
            run.log({"x": float(step)})
    (manifest,) = (run.dir / "writers").glob("*.json")
    state = json.loads(manifest.read_text())
    state.update(status="running", exit_code=None, heartbeat=time.time() - 600, host="another-machine",
                 summary={"x": 0.0})  # the manifest lags its data
    manifest.write_text(json.dumps(state))
    assert nbtrack.open(tmp_path / "runs").runs()["summary.x"].tolist() == [4.0]
    export_logdir(tmp_path / "runs", tmp_path / "out", progress=False)
    runs = pd.read_parquet(tmp_path / "out" / "runs.parquet")
    assert runs["status"].tolist() == ["crashed"] and runs["summary.x"].tolist() == [4.0]


def test_a_logdir_opened_for_the_export_drops_each_run_once_written(small_logdir, tmp_path, monkeypatch):
    from nbtrack.store.reader import RunReader

    forgotten = []
    real = RunReader.forget
    monkeypatch.setattr(RunReader, "forget", lambda self: (forgotten.append(self.id), real(self))[1])
    export_logdir(small_logdir, tmp_path / "out", progress=False)
    assert sorted(forgotten) == ["a1", "b2", "c3", "d4"]
    forgotten.clear()
    export_logdir(nbtrack.open(small_logdir), tmp_path / "out2", progress=False)
    assert forgotten == []  # the caller's Logdir keeps what it read


def test_the_logdirs_problems_are_warned(small_logdir, tmp_path):
    half = small_logdir / "half-made"
    (half / "data").mkdir(parents=True)
    os.utime(half, (time.time() - 60, time.time() - 60))  # not a run being created: a run without run.json
    with pytest.warns(RuntimeWarning, match=r"half-made: folder looks like a run .* but has no run.json"):
        result = export_logdir(small_logdir, tmp_path / "out", progress=False)
    assert result.runs == 4 and result.skipped == []


def test_artifacts_are_listed_not_copied(tmp_path):
    """An export lists the artifacts each run logged and used (names, versions, digests), never their bytes."""
    (tmp_path / "model.bin").write_bytes(os.urandom(200_000))
    with nbtrack.init(dir=tmp_path / "runs", id="producer") as run:
        run.log({"loss": 1.0})
        artifact = nbtrack.Artifact("model", type="model")
        artifact.add_file(str(tmp_path / "model.bin"))
        run.log_artifact(artifact, aliases=["best"])
    with nbtrack.init(dir=tmp_path / "runs", id="consumer") as run:
        run.log({"loss": 2.0})
        run.use_artifact("model:best")
    export_logdir(tmp_path / "runs", tmp_path / "out", progress=False)
    table = pd.read_parquet(tmp_path / "out" / "artifacts.parquet")
    assert table[["run_id", "action", "name", "version", "files"]].values.tolist() == [
        ["consumer", "used", "model", "v0", 1], ["producer", "logged", "model", "v0", 1]] or \
        sorted(table[["run_id", "action"]].values.tolist()) == [["consumer", "used"], ["producer", "logged"]]
    assert len(set(table["digest"])) == 1 and "best" in table["aliases"].iloc[0]
    assert sum(p.stat().st_size for p in (tmp_path / "out").rglob("*") if p.is_file()) < 100_000, "no artifact bytes"
