"""Issue 18 item 3: format 2.0 tag ranges (rows grouped by tag, a row range and CRCs per tag), reading
one tag or a few without the rest, ``Logdir.to_arrow()``; crafted ranges are damage, never read outside
their batch.
"""

from __future__ import annotations

import json
import warnings
import zlib
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pytest

import nbtrack
from nbtrack.store import format as fmt

from .test_hostile import append_before_end, data_file, messages


def batches(path: Path) -> list[tuple[pa.RecordBatch, dict[str, str], int, int]]:
    """Every record batch of a stream file with its custom metadata, start and end offsets."""
    data = path.read_bytes()
    out = []
    for start, end in messages(data)[1:]:
        message = pa.ipc.read_message(pa.BufferReader(data[start:end]))
        batch = pa.ipc.read_record_batch(message, fmt.scalar_schema())
        out.append((batch, fmt.message_custom_metadata(bytes(message.metadata)), start, end))
    return out


def logged_run(logdir: Path, rid: str = "r", steps: int = 30, flush: int = 10, keys: str = "abc") -> Path:
    run = nbtrack.init(dir=logdir, id=rid, flush_interval=3600)
    for step in range(steps):
        run.log({k: step * 10.0 + i for i, k in enumerate(keys)})
        if (step + 1) % flush == 0:
            run.flush()
    run.finish(quiet=True)
    return logdir / rid


def quiet_reader(logdir: Path, rid: str = "r") -> nbtrack.RunReader:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return nbtrack.open(logdir).run(rid)


# -- the writer ---------------------------------------------------------------------------------------
def test_batches_are_grouped_by_tag_with_ranges_and_checksums(tmp_path):
    path = data_file(logged_run(tmp_path), "scalars")
    for batch, meta, _, _ in batches(path):
        ranges = [tuple(r) for r in fmt.decode_ranges(meta, batch.num_rows, max_id=10).tolist()]
        ids = batch.column("tag_id").to_numpy()
        assert [r[0] for r in ranges] == [0, 1, 2] and [r[1:3] for r in ranges] == [(0, 10), (10, 20), (20, 30)]
        for tag, start, stop, *crcs in ranges:
            assert (ids[start:stop] == tag).all()
            assert np.all(np.diff(batch.column("step").to_numpy()[start:stop]) > 0)
            for name, crc in zip(fmt.RANGE_COLUMNS, crcs):
                assert zlib.crc32(batch.column(name).to_numpy()[start:stop]) == crc
        assert fmt.verify_head(batch, meta) is None
        assert fmt.verify_batch(batch, meta) is None  # what a 1.1 reader checks still holds


def test_tag_order_without_a_period():
    order, ranges = fmt.tag_order(np.array([2, 0, 2, 1, 0], np.int32))
    assert order.tolist() == [1, 4, 3, 0, 2] and ranges == [(0, 0, 2), (1, 2, 3), (2, 3, 5)]
    assert fmt.tag_order(np.array([4, 4], np.int32)) == (None, [(4, 0, 2)])


def test_irregular_logging_reads_back_exactly(tmp_path):
    run = nbtrack.init(dir=tmp_path, id="r", flush_interval=3600)
    want: dict[str, list[tuple[int, float]]] = {"a": [], "b": [], "c": []}
    for step in range(40):
        for key in "abc"[: 1 + step % 3]:
            run.log({key: step + 0.5}, step=step, commit=False)
            want[key].append((step, step + 0.5))
        if step % 7 == 6:
            run.flush()
    run.finish(quiet=True)
    r = quiet_reader(tmp_path)
    for key, rows in want.items():
        frame = r.scalars(key)
        assert list(zip(frame["step"], frame["value"])) == rows
    wide = r.history()
    assert wide["_step"].tolist() == list(range(40))
    assert wide["c"].notna().sum() == len(want["c"]) and r.damage == []


# -- reading one tag ----------------------------------------------------------------------------------
def _flip_in_range(path: Path, batch_index: int, tag: int, column: str) -> None:
    """Flip a byte inside ``tag``'s rows of ``column`` in one batch."""
    data = bytearray(path.read_bytes())
    start, end = messages(bytes(data))[1 + batch_index]
    message = pa.ipc.read_message(pa.BufferReader(bytes(data[start:end])))
    batch = pa.ipc.read_record_batch(message, fmt.scalar_schema())
    meta = fmt.message_custom_metadata(bytes(message.metadata))
    (found,) = [r for r in fmt.decode_ranges(meta, batch.num_rows, 10) if r[0] == tag]
    buffer = batch.column(column).buffers()[1]
    data[end - message.body.size + (buffer.address - message.body.address) + 8 * found[1] + 3] ^= 0x10
    path.write_bytes(bytes(data))


def test_a_damaged_range_loses_only_that_tag_of_that_batch(tmp_path):
    path = data_file(logged_run(tmp_path), "scalars")
    _flip_in_range(path, 1, 1, "value")
    r = quiet_reader(tmp_path)
    assert r.scalars("a")["step"].tolist() == list(range(30))  # other tags of the batch are read
    assert r.scalars("b")["step"].tolist() == list(range(10)) + list(range(20, 30))
    assert any("value column does not match its checksum" in d.reason for d in r.damage)
    assert r.history()["b"].isna().sum() == 10


def test_reading_one_tag_checks_only_its_bytes_and_damage_lists_the_rest(tmp_path):
    path = data_file(logged_run(tmp_path), "scalars")
    _flip_in_range(path, 0, 2, "step")
    r = quiet_reader(tmp_path)
    assert r.scalars("a", columns=("step", "value"))["value"].tolist() == [s * 10.0 for s in range(30)]
    assert not r._known_damage()  # tag "c" was not read yet
    assert any("step column does not match" in d.reason for d in r.damage)  # damage checks everything
    assert r.scalars("c")["step"].tolist() == list(range(10, 30))


def test_a_range_whose_tag_id_rows_disagree_is_damage(tmp_path):
    path = data_file(logged_run(tmp_path, steps=10), "scalars")
    batch, meta, start, end = batches(path)[0]
    ids = batch.column(0).to_numpy().copy()
    ids[12] = 0  # a row of tag 1 now says tag 0; the ranges still say tag 1
    forged = _rewrite(batch, meta, tag_ids=ids)
    data = path.read_bytes()
    path.write_bytes(data[:start] + forged + data[end:])
    r = quiet_reader(tmp_path)
    assert r.scalars("a")["step"].tolist() == list(range(10))
    assert r.scalars("b")["step"].tolist() == []
    assert any("tag_id rows does not match" in d.reason for d in r.damage)


def _rewrite(batch: pa.RecordBatch, meta: dict[str, str], tag_ids: Any = None, ranges: str | None = None) -> bytes:
    """The batch as a message with valid checksums (head and whole) over whatever it holds."""
    columns = list(batch.columns)
    if tag_ids is not None:
        columns[0] = pa.array(tag_ids, pa.int32())
    batch = pa.RecordBatch.from_arrays(columns, schema=fmt.scalar_schema())
    meta = {k: v for k, v in meta.items() if k not in (fmt.KEY_CRC, fmt.KEY_HEAD_CRC)}
    if ranges is not None:
        meta[fmt.KEY_RANGES] = ranges
    meta[fmt.KEY_HEAD_CRC] = str(fmt.head_checksum(batch, meta))
    meta[fmt.KEY_CRC] = str(fmt.batch_checksum(batch, meta))
    out = pa.BufferOutputStream()
    pa.ipc.new_stream(out, fmt.scalar_schema()).write_batch(batch, custom_metadata=meta)
    return out.getvalue().to_pybytes()[len(fmt.schema_message("scalars")):]


CRAFTED = {
    "past the end": lambda r, n: [[0, 0, n + 5, *r[0][3:]]],
    "huge stop": lambda r, n: [[*r[0][:2], 2**62, *r[0][3:]], *r[1:]],
    "negative start": lambda r, n: [[r[0][0], -3, *r[0][2:]], *r[1:]],
    "overlapping": lambda r, n: [r[0], [r[1][0], r[1][1] - 1, *r[1][2:]], *r[2:]],
    "a gap": lambda r, n: [r[0], *r[2:]],
    "not covering the end": lambda r, n: r[:-1],
    "empty range": lambda r, n: [[r[0][0], 0, 0, 0, 0, 0], *r],
    "repeated tag": lambda r, n: [r[0], [r[0][0], *r[1][1:]], *r[2:]],
    "tag id out of range": lambda r, n: [[2**31, *r[0][1:]], *r[1:]],
    "negative tag id": lambda r, n: [[-1, *r[0][1:]], *r[1:]],
    "float bound": lambda r, n: [[r[0][0], 0.0, *r[0][2:]], *r[1:]],
    "crc of 33 bits": lambda r, n: [[*r[0][:3], 2**32, 0, 0], *r[1:]],
    "short entry": lambda r, n: [r[0][:3], *r[1:]],
    "not a list": lambda r, n: {"0": r[0]},
    "too many": lambda r, n: r + [[9, n, n, 0, 0, 0]] * (n + 1),
}


@pytest.mark.parametrize("how", list(CRAFTED))
def test_crafted_ranges_are_damage_and_never_read_out_of_bounds(tmp_path, how):
    path = data_file(logged_run(tmp_path, steps=20), "scalars")
    batch, meta, start, end = batches(path)[1]  # the second of two batches: steps 10 to 19
    ranges = json.loads(meta[fmt.KEY_RANGES])
    forged = _rewrite(batch, meta, ranges=json.dumps(CRAFTED[how](ranges, batch.num_rows)))
    append_before_end(path, forged)  # a third batch, crafted, after the two good ones
    data = path.read_bytes()
    path.write_bytes(data[:start] + data[end:])  # the good second batch removed: the crafted one is its copy
    r = quiet_reader(tmp_path)
    for i, key in enumerate("abc"):
        frame = r.scalars(key)
        assert frame["step"].tolist() == list(range(10)), how
        assert frame["value"].tolist() == [s * 10.0 + i for s in range(10)]
    assert any("malformed record metadata" in d.reason and "ranges" in d.reason for d in r.damage), r.damage
    assert len(r.history()) == 10


def test_a_crafted_range_is_refused_in_the_decoder():
    with pytest.raises(ValueError, match="invalid range"):
        fmt.decode_ranges({fmt.KEY_RANGES: "[[0,0,5,0,0,0],[1,4,6,0,0,0]]"}, 6, 10)
    with pytest.raises(ValueError, match="nested deeper"):
        fmt.decode_ranges({fmt.KEY_RANGES: "[[[0]]]"}, 6, 10)


# -- several tags, several files ----------------------------------------------------------------------
def test_a_tag_logged_twice_at_one_step_keeps_its_last_value():
    from nbtrack.store.columns import pivot_series, steps_of

    series = [(np.array([0, 1, 1, 2]), np.array([1.0, 2.0, 3.0, 4.0]), np.array([5.0, 6.0, 7.0, 8.0])),
              (np.array([0, 2]), np.array([1.5, 4.5]), np.array([9.0, 9.5]))]
    steps, times, wide = pivot_series(series, steps_of(series))
    assert steps.tolist() == [0, 1, 2] and times.tolist() == [1.5, 3.0, 4.5]
    assert wide[:, 0].tolist() == [5.0, 7.0, 8.0] and np.isnan(wide[1, 1])


def test_history_of_some_keys_equals_the_whole_history(tmp_path):
    logged_run(tmp_path, steps=25, flush=7, keys="abcd")
    r = quiet_reader(tmp_path)
    whole = r.history()
    part = r.history(keys=["d", "b"])
    assert part.columns.tolist() == ["_step", "_time", "d", "b"]
    assert part[["d", "b"]].equals(whole[["d", "b"]]) and part["_step"].equals(whole["_step"])


def test_resumed_and_concurrent_runs_read_as_one(tmp_path):
    run = nbtrack.init(dir=tmp_path, id="r", flush_interval=3600)
    for step in range(5):
        run.log({"a": float(step), "b": -float(step)})
    run.finish(quiet=True)
    run = nbtrack.init(dir=tmp_path, id="r", resume="must", flush_interval=3600)
    for step in range(5, 9):
        run.log({"a": float(step) if step < 8 else 100.0})
    run.finish(quiet=True)
    r = quiet_reader(tmp_path)
    assert len(list((tmp_path / "r" / "data").iterdir())) == 2
    assert r.scalars("a")["step"].tolist() == list(range(9))
    wide = r.history()
    assert wide["_step"].tolist() == list(range(9))
    assert wide["a"].tolist() == [0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 100.0]
    assert wide["b"].isna().tolist() == [False] * 5 + [True] * 4
    names, pieces = r.tag_pieces()
    assert names == ["a", "b"] and sum(len(p[0]) for p in pieces[0]) == 9


def test_logdir_to_arrow_is_every_run_in_long_form(tmp_path):
    logged_run(tmp_path, "one", steps=12, flush=5, keys="ab")
    logged_run(tmp_path, "two", steps=3, flush=5, keys="c")
    run = nbtrack.init(dir=tmp_path, id="two", resume="must", flush_interval=3600)
    run.log({"c": 99.0})
    run.finish(quiet=True)
    logdir = nbtrack.open(tmp_path)
    table = logdir.to_arrow()
    assert table.column_names == ["run_id", "tag", "step", "wall_time", "value"]
    assert table.schema.field("step").type == pa.int64() and table.schema.field("value").type == pa.float64()
    frame = logdir.to_pandas()
    assert len(frame) == 12 * 2 + 4
    two = frame[frame["run_id"] == "two"]
    assert two["tag"].astype(str).tolist() == ["c"] * 4 and two["step"].tolist() == [0, 1, 2, 3]
    assert two["value"].tolist() == [0.0, 10.0, 20.0, 99.0]
    one = frame[frame["run_id"] == "one"].sort_values(["tag", "step"])
    assert one["value"].tolist() == [s * 10.0 for s in range(12)] + [s * 10.0 + 1 for s in range(12)]
    assert logdir.to_arrow(runs=["one"]).num_rows == 24


def test_logdir_to_arrow_of_an_empty_logdir(tmp_path):
    table = nbtrack.open(tmp_path).to_arrow()
    assert table.num_rows == 0 and table.column_names == ["run_id", "tag", "step", "wall_time", "value"]


@pytest.mark.parametrize("text", [
    "[]", "[[1,0,2,7,8,9]]", "[[1,0,2,7,8,9],[0,2,3,1,2,3]]", "[[1, 0, 2, 7, 8, 9]]", "[ [1,0,2,7,8,9] ]",
    "[[1,0,2,7,8,9],]", "[[1,0,2,7,8]]", "[[,0,2,7,8,9]]", "[[1,0,2,7,8,]]", "[[1,0,2,7,8,9]][[0,2,3,1,2,3]]",
    "[[true,0,2,7,8,9]]", "[[1.0,0,2,7,8,9]]", "[[-1,0,2,7,8,9]]", "[[1,0,2,7,8,99999999999999999999999]]",
    "[[1\u0663,0,2,7,8,9]]", '[["1",0,2,7,8,9]]', "[[[1],0,2,7,8,9]]", "", "[[1,0,2,7,8,9]",
])
def test_the_compact_parse_of_ranges_agrees_with_the_json_parse(text):
    """Ranges as nbtrack writes them take a fast path; every spelling gets the JSON path's verdict."""
    def via_json(raw):
        parsed = fmt.loads_json(raw, max_depth=2)
        ok = (isinstance(parsed, list) and all(isinstance(r, list) and len(r) == 6 for r in parsed)
              and all(type(v) is int and 0 <= v < 2**62 for r in parsed for v in r))
        return [list(r) for r in parsed] if ok else None

    try:
        want = via_json(text)
    except ValueError:
        want = None
    meta = {fmt.KEY_RANGES: text}
    rows = 0 if want == [] else 3 if want and len(want) == 2 else 2
    try:
        got = fmt.decode_ranges(meta, rows, max_id=10).tolist()
    except ValueError:
        got = None
    if want is not None and want and want[-1][2] != rows:
        want = None  # a well-formed list that does not cover the rows is refused for that reason
    assert got == want
