"""Reading media from damaged or hostile run folders: bad records and files give None and a damage note,
never an exception, and no path outside the run folder is opened.
"""

from __future__ import annotations

import json
import os
import warnings

import numpy as np
import pyarrow as pa
import pytest

import nbtrack
from nbtrack.store import format as fmt


def test_a_hostile_media_path_is_never_opened(logdir):
    run = nbtrack.init()
    run.log({"img": nbtrack.Image(np.zeros((2, 2), np.uint8))})
    run.finish()
    r = nbtrack.open(logdir).run(run.id)
    row = r._media_rows("img")[0]
    row["path"] = "../../../../etc/passwd"
    assert r._media.decode(row) is None
    assert any("escapes the run folder" in d.reason for d in r.damage)


IMG = np.arange(12, dtype=np.uint8).reshape(2, 2, 3)


def _run(tmp_path, name="r"):
    return nbtrack.init(dir=tmp_path / "runs", name=name)


def _reader(tmp_path, run):
    return nbtrack.open(tmp_path / "runs").run(run.id)


def _craft_media(run, rows):
    """Append a hand-made media record (tag, kind, path, meta string, text) through the run's sink,
    as a damaged or hostile run folder could hold it."""
    run.flush()
    sink = run._writer.slots[0].sink

    def arrays(local):
        return [pa.array([local[r[0]] for r in rows], pa.int32()), pa.array([0] * len(rows), pa.int64()),
                pa.array([0.0] * len(rows), pa.float64()), pa.array([r[1] for r in rows], pa.string()),
                pa.array([r[2] for r in rows], pa.string()), pa.array([r[3] for r in rows], pa.string()),
                pa.array([r[4] for r in rows], pa.string())]

    with run._writer._lock:
        sink._append(fmt.KIND_MEDIA, [r[0] for r in rows], arrays)


@pytest.mark.parametrize("meta", ["[1, 2]", "null", "7"])
def test_reader_survives_meta_that_is_not_an_object(tmp_path, meta):
    """meta must be a JSON object; when it is valid JSON of another type, MediaRecords._add_media
    crashes with AttributeError in every reader method (scalars and history included). The items the
    tail already returned are then lost: the next call succeeds without them, with no damage note."""
    run = _run(tmp_path)
    run.log({"loss": 1.0})
    _craft_media(run, [("bad", "image", None, meta, None), ("note", "text", None, "{}", "hello")])
    run.log({"loss": 2.0})
    run.finish()
    r = _reader(tmp_path, run)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert r.scalars("loss")["value"].tolist() == [1.0, 2.0]
        assert r.texts("note")["text"].tolist() == ["hello"]


def _log_every_kind(run):
    fig = pytest.importorskip("matplotlib.figure").Figure(figsize=(1, 1))
    fig.add_subplot().plot([0, 1])
    run.log({"image": nbtrack.Image(IMG), "audio": nbtrack.Audio(np.zeros(10), sample_rate=10),
             "video": nbtrack.Video(np.zeros((2, 2, 2, 3), np.uint8)),
             "table": nbtrack.Table(columns=["a", "pic"], data=[[1, nbtrack.Image(IMG)]]),
             "pr": nbtrack.PRCurve([1, 0], [0.2, 0.7]), "emb": nbtrack.Embedding(np.eye(2)),
             "fig": nbtrack.Figure(fig)})


@pytest.mark.parametrize("tag", ["image", "audio", "video", "table", "pr", "emb"])
def test_reader_survives_a_corrupt_media_file(tmp_path, tag):
    """A media file overwritten with garbage makes images()/media(decode=True)/tables() raise
    (ValueError / JSONDecodeError) instead of giving None and a damage note."""
    run = _run(tmp_path)
    _log_every_kind(run)
    run.finish()
    r = _reader(tmp_path, run)
    path = r.media(tag)["path"][0]
    (run.dir / path).write_bytes(b"garbage")
    r = _reader(tmp_path, run)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        values = r.media(tag, decode=True)["value"].tolist()
    assert values == [None]
    assert any(path in str(d) for d in r.damage)


def test_reader_survives_a_deleted_table_cell_file(tmp_path):
    """A deleted image-cell file of a table: read() returns None and decode_png(None) raises TypeError."""
    run = _run(tmp_path)
    run.log({"table": nbtrack.Table(columns=["a", "pic"], data=[[1, nbtrack.Image(IMG)]])})
    run.finish()
    r = _reader(tmp_path, run)
    cell = r.media("table")["meta"][0]["files"][".cell-0-1.png"]
    os.remove(run.dir / cell)
    r = _reader(tmp_path, run)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        tables = r.tables("table")  # TypeError today
    value = tables["table"][0]
    assert value is None or value["pic"][0] is None
    assert r.damage


@pytest.mark.parametrize("kind,path,meta", [
    ("image", "media/a\x00b.png", "{}"),                 # ValueError: embedded null byte
    ("figure", None, '{"files": [".png"]}'),           # AttributeError: list has no items
    ("figure", None, '{"files": {".png": 5}}'),        # TypeError: Path / int
    ("table", "media/t.json", '{"files": {".cell-0-0.png": "../../../../etc/passwd"}}'),  # TypeError
])
def test_reader_survives_malformed_media_paths(tmp_path, kind, path, meta):
    run = _run(tmp_path)
    if kind == "table":
        (run.dir / "media").mkdir()
        body = {"columns": ["a"], "types": ["image"],
                "rows": [[{"_media": "image", "file": ".cell-0-0.png", "meta": {}}]]}
        (run.dir / "media" / "t.json").write_text(json.dumps(body))
    _craft_media(run, [("m", kind, path, meta, None)])
    run.finish()
    r = _reader(tmp_path, run)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        r.media("m", decode=True)
    assert r.damage


def test_reader_confines_paths_and_reports_missing_files(tmp_path):
    run = _run(tmp_path)
    run.log({"gone": nbtrack.Image(IMG)})
    (run.dir / "media").mkdir(exist_ok=True)
    os.symlink("/etc/passwd", run.dir / "media" / "link.png")
    _craft_media(run, [("rel", "image", "../../../../etc/passwd", "{}", None),
                       ("abs", "image", "/etc/passwd", "{}", None),
                       ("sym", "image", "media/link.png", "{}", None),
                       ("pr", "pr_curve", "/etc/passwd", "{}", None),
                       ("badjson", "image", None, "not json", None)])
    run.finish()
    r = _reader(tmp_path, run)
    os.remove(run.dir / r.media("gone")["path"][0])
    r = _reader(tmp_path, run)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for tag in ("gone", "rel", "abs", "sym", "pr", "badjson"):
            assert r.media(tag, decode=True)["value"].tolist() == [None], tag
    reasons = [d.reason for d in r.damage]
    assert sum("escapes" in x for x in reasons) == 3  # "/etc/passwd" twice is one entry: damage is de-duplicated
    assert any("unreadable" in x for x in reasons)
