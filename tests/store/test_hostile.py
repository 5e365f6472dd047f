"""Issue 17 items 2, 4, 6 and 12: lost tag names, crafted batches with valid checksums, silent
losses and media file checksums. Each test failed on the reader before the fix.

Crafted batches carry a correct CRC (anyone can compute one), so only the reader's checks of
sequence, tag ids, names and nesting stand between them and a wrong value.
"""

from __future__ import annotations

import errno
import json
import os
import subprocess
import sys
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pytest

import nbtrack
from nbtrack.store import format as fmt
from nbtrack.store import sink as storage
from nbtrack.store.folder import DATA_DIR

EOS = b"\xff\xff\xff\xff\x00\x00\x00\x00"


# -- helpers ------------------------------------------------------------------------------------
def messages(data: bytes) -> list[tuple[int, int]]:
    """(start, end) of every message of a stream, the schema first."""
    source, out = pa.BufferReader(data), []
    while True:
        start = source.tell()
        try:
            pa.ipc.read_message(source)
        except EOFError:
            return out
        out.append((start, source.tell()))


def crafted_batch(kind: str, arrays: list[Any], seq: int | str, tags: str | None) -> bytes:
    """One record batch message with a valid checksum over whatever it holds."""
    schema = fmt.schema_for(kind)
    batch = pa.RecordBatch.from_arrays(arrays, schema=schema)
    meta = {fmt.KEY_SEQ: str(seq)}
    if tags is not None:
        meta[fmt.KEY_TAGS] = tags
    meta[fmt.KEY_CRC] = str(fmt.batch_checksum(batch, meta))
    out = pa.BufferOutputStream()
    writer = pa.ipc.new_stream(out, schema)
    writer.write_batch(batch, custom_metadata=meta)
    data = out.getvalue().to_pybytes()
    return data[len(fmt.schema_message(kind)):]


def scalar_arrays(tag_ids: list[int], steps: list[int], values: list[float]) -> list[Any]:
    return [pa.array(tag_ids, pa.int32()), pa.array(steps, pa.int64()), pa.array([0.0] * len(steps)),
            pa.array(values, pa.float64())]


def data_file(run_dir: Path, kind: str) -> Path:
    (path,) = (run_dir / DATA_DIR).glob(f"*.{kind}.arrows")
    return path


def append_before_end(path: Path, message: bytes) -> None:
    data = path.read_bytes()
    assert data.endswith(EOS)
    path.write_bytes(data[:-8] + message + EOS)


def zero_batch(path: Path, *indexes: int) -> None:
    """Zero the middle of record batches ``indexes`` (0 = the first after the schema)."""
    data = bytearray(path.read_bytes())
    layout = messages(bytes(data))
    for index in indexes:
        start, end = layout[1 + index]
        data[start + 12:end - 4] = bytes(end - 4 - start - 12)
    path.write_bytes(bytes(data))


def finished_run(logdir: Path, batches: list[dict[str, Any]], rid: str = "r") -> Path:
    """A finished run with one flush (one record batch per family) per item of ``batches``."""
    run = nbtrack.init(dir=logdir, id=rid, flush_interval=3600)
    for step, values in enumerate(batches):
        run.log(values, step=step)
        run.flush()
    run.finish()
    return logdir / rid


def reader(logdir: Path, rid: str = "r") -> nbtrack.RunReader:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        r = nbtrack.open(logdir).run(rid)
        r.scalar_tags()
    return r


def quiet(fn: Any, *args: Any) -> Any:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return fn(*args)


# -- item 2: tag names lost with a damaged batch -------------------------------------------------------------
def test_names_lost_with_the_first_batch_come_from_the_next_one(tmp_path):
    folder = finished_run(tmp_path, [{"a": 1.0}, {"a": 2.0, "b": 3.0}, {"a": 4.0, "b": 5.0}])
    zero_batch(data_file(folder, "scalars"), 0)
    r = reader(tmp_path)
    assert sorted(r.scalar_tags()) == ["a", "b"]  # not "<unknown tag 0 ...>"
    assert r.scalars("a")["value"].tolist() == [2.0, 4.0]
    assert r.damage


def test_media_names_lost_with_the_first_batch_are_recovered(tmp_path):
    img = np.zeros((2, 2, 3), np.uint8)
    folder = finished_run(tmp_path, [{"img": nbtrack.Image(img)}, {"img": nbtrack.Image(img)}])
    zero_batch(data_file(folder, "media"), 0)
    r = reader(tmp_path)
    assert list(r.media_tags()) == ["img"]
    assert r.media("img")["step"].tolist() == [1]


def test_names_lost_everywhere_are_damage_never_invented_tags(tmp_path):
    img = np.zeros((2, 2, 3), np.uint8)
    folder = finished_run(tmp_path, [{"a": 1.0, "img": nbtrack.Image(img)}, {"a": 2.0, "img": nbtrack.Image(img)},
                                     {"a": 3.0, "img": nbtrack.Image(img)}])
    for kind in ("scalars", "media"):
        zero_batch(data_file(folder, kind), 0, 1)
    (manifest,) = (folder / "writers").glob("*.json")
    state = json.loads(manifest.read_text())
    state["tag_names"] = {}
    manifest.write_text(json.dumps(state))
    r = reader(tmp_path)
    assert r.scalar_tags() == [] and r.media_tags() == {}
    assert sum("names were lost" in d.reason for d in r.damage) == 2
    quiet(r.show)
    quiet(nbtrack.open(tmp_path).show)


# -- item 4: crafted batches with valid checksums -------------------------------------------------------
@pytest.fixture
def one_tag_run(tmp_path):
    folder = finished_run(tmp_path, [{"a": 1.0}, {"a": 2.0}])
    return data_file(folder, "scalars")


def test_a_huge_tag_id_is_refused_without_allocating(one_tag_run, tmp_path):
    append_before_end(one_tag_run, crafted_batch("scalars", scalar_arrays([2**31 - 1], [5], [9.0]), 2, None))
    code = ("import resource, warnings, nbtrack, sys; warnings.simplefilter('ignore');"
            "resource.setrlimit(resource.RLIMIT_AS, (1500 << 20, 1500 << 20));"
            f"r = nbtrack.open({str(tmp_path)!r}).run('r'); print(r.scalars('a')['value'].tolist(), len(r.damage))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60,
                         env={**os.environ, "PYTHONPATH": str(Path(nbtrack.__file__).parents[1])})
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.split() == ["[1.0,", "2.0]", "1"]


def test_a_negative_tag_id_is_refused(one_tag_run, tmp_path):
    append_before_end(one_tag_run, crafted_batch("scalars", scalar_arrays([-1], [5], [9.0]), 2, None))
    r = reader(tmp_path)
    assert r.scalars("a")["value"].tolist() == [1.0, 2.0]
    assert any("tag id -1 out of range" in d.reason for d in r.damage)


@pytest.mark.parametrize("tags", ['["x"]', '{"0": 5}', '{"-1": "x"}', '{"0": ""}', '{"99999999": "x"}',
                                  "[" * 100_000 + "]" * 100_000])
def test_malformed_tag_names_are_refused(one_tag_run, tmp_path, tags):
    append_before_end(one_tag_run, crafted_batch("scalars", scalar_arrays([0], [5], [9.0]), 2, tags))
    r = reader(tmp_path)
    assert r.scalars("a")["value"].tolist() == [1.0, 2.0]
    assert any("malformed record metadata" in d.reason for d in r.damage)


def test_a_renamed_tag_id_is_refused(one_tag_run, tmp_path):
    append_before_end(one_tag_run, crafted_batch("scalars", scalar_arrays([0], [5], [9.0]), 2, '{"0": "evil"}'))
    r = reader(tmp_path)
    assert r.scalar_tags() == ["a"] and r.scalars("a")["value"].tolist() == [1.0, 2.0]
    assert any("renames tag id 0" in d.reason for d in r.damage)


def test_a_replayed_batch_is_read_once(one_tag_run, tmp_path):
    data = one_tag_run.read_bytes()
    start, end = messages(data)[2]  # the second batch (seq 1)
    one_tag_run.write_bytes(data[:end] + data[start:end] * 2 + data[end:])
    r = reader(tmp_path)
    assert r.scalars("a")["value"].tolist() == [1.0, 2.0]
    assert sum("out of sequence" in d.reason for d in r.damage) == 2


@pytest.mark.parametrize("seq", ["-1", "x", "1e3", ""])
def test_an_invalid_sequence_number_is_refused(one_tag_run, tmp_path, seq):
    append_before_end(one_tag_run, crafted_batch("scalars", scalar_arrays([0], [5], [9.0]), seq, None))
    r = reader(tmp_path)
    assert r.scalars("a")["value"].tolist() == [1.0, 2.0]
    assert r.damage


def test_a_gap_in_the_sequence_is_reported(one_tag_run, tmp_path):
    append_before_end(one_tag_run, crafted_batch("scalars", scalar_arrays([0], [5], [9.0]), 7, None))
    r = reader(tmp_path)
    assert r.scalars("a")["value"].tolist() == [1.0, 2.0, 9.0]
    assert any("batches 2 to 6 are missing" in d.reason for d in r.damage)


def test_deeply_nested_media_metadata_is_damage(tmp_path):
    folder = finished_run(tmp_path, [{"t": nbtrack.Text("x")}])
    deep = '{"a": ' * 100_000 + "1" + "}" * 100_000
    row = [pa.array([0], pa.int32()), pa.array([3], pa.int64()), pa.array([0.0]), pa.array(["text"]),
           pa.array([None], pa.string()), pa.array([deep]), pa.array(["y"])]
    append_before_end(data_file(folder, "media"), crafted_batch("media", row, 1, None))
    r = reader(tmp_path)
    assert r.texts("t")["text"].tolist() == ["x", "y"]
    assert any("not a JSON object" in d.reason for d in r.damage)


# -- item 6: no silent loss ---------------------------------------------------------------------------------
@pytest.mark.parametrize("kind", ["scalars", "media", "histograms"])
@pytest.mark.parametrize("how", ["empty", "dev/zero"])
def test_an_emptied_or_replaced_data_file_is_reported(tmp_path, kind, how):
    values = {"a": 1.0, "img": nbtrack.Image(np.zeros((2, 2), np.uint8)), "h": nbtrack.Histogram([1.0, 2.0])}
    folder = finished_run(tmp_path, [values])
    path = data_file(folder, kind)
    path.unlink()
    if how == "empty":
        path.touch()
    else:
        path.symlink_to("/dev/zero")
    r = reader(tmp_path)
    assert [d for d in r.damage if d.file == str(path)], r.damage


def test_damage_is_listed_once_however_often_it_is_read(tmp_path):
    folder = finished_run(tmp_path, [{"a": 1.0}])
    (folder / "writers" / "wbroken.json").write_text("{not json")
    r = reader(tmp_path)
    for _ in range(3):
        r.refresh_manifests()
        r.history()
    assert len([d for d in r.damage if "wbroken" in d.file]) == 1


def test_a_segment_abandoned_after_a_write_error_is_reported_once(tmp_path, monkeypatch):
    real_write = storage._write_all
    failures = {"left": 1}

    def half_then_full(fd, parts):
        if failures["left"] and any(len(p) > 100 for p in parts) and os.fstat(fd).st_size > 0:
            failures["left"] -= 1
            data = b"".join(parts)
            os.write(fd, data[: len(data) // 2])
            raise OSError(errno.ENOSPC, "No space left on device")
        real_write(fd, parts)

    monkeypatch.setattr(storage, "_write_all", half_then_full)
    run = nbtrack.init(dir=tmp_path, id="r", flush_interval=3600)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for i in range(30):
            run.log({"a": float(i)})
            if i % 10 == 9:
                run.flush()
        run.finish()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        r = nbtrack.open(tmp_path).run("r")
        assert r.scalars("a")["value"].tolist() == [float(i) for i in range(30)]
        for _ in range(3):
            r.history()
    assert [d.reason.split(":")[0] for d in r.damage] == ["abandoned after a write error (recovered)"]
    assert not [w for w in caught if "nbtrack" in str(w.message)]


# -- item 12: media files carry checksums ----------------------------------------------------------------
def _flip_last_byte(path: Path) -> None:
    data = bytearray(path.read_bytes())
    data[-1] ^= 0x01
    path.write_bytes(bytes(data))


@pytest.mark.parametrize("value,tag", [
    (lambda: nbtrack.Audio(np.zeros(800, np.float32), sample_rate=8000), "audio"),
    (lambda: nbtrack.Table(columns=["x"], data=[[1.5]]), "table"),
    (lambda: nbtrack.Image(np.zeros((4, 4, 3), np.uint8)), "image"),
])
def test_a_flipped_byte_in_a_media_file_is_damage(tmp_path, value, tag):
    folder = finished_run(tmp_path, [{tag: value()}])
    r = reader(tmp_path)
    (path,) = r.media(tag)["path"].tolist()
    assert quiet(r.media, tag, True)["value"].iloc[0] is not None
    _flip_last_byte(folder / path)
    r = reader(tmp_path)
    assert quiet(r.media, tag, True)["value"].tolist() == [None]
    assert any("checksum mismatch" in d.reason for d in r.damage)


def test_media_records_name_the_checksum_of_each_file(tmp_path):
    finished_run(tmp_path, [{"t": nbtrack.Table(columns=["x"], data=[[1]])}])
    meta = reader(tmp_path).media("t")["meta"].iloc[0]
    assert set(meta[fmt.MEDIA_CRC]) and all(isinstance(v, int) for v in meta[fmt.MEDIA_CRC].values())
