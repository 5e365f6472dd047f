"""Damaged data files: bit flips, random bytes, truncation, junk tails, unknown versions.

The contract checked everywhere: reading never raises, never returns a wrong value
(every record returned equals the original for its (tag, step)), and whatever is lost
is listed in ``RunReader.damage`` with the right file and a location that covers it.
"""

from __future__ import annotations

import collections
import json
import os
import random
import shutil
import socket
import subprocess
import sys
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest

import nbtrack
from nbtrack.store.format import FORMAT_VERSION

HERE = Path(__file__).resolve().parents[1]  # tests/, which holds _proc/
REPO = HERE.parent
CHILD = HERE / "_proc" / "child.py"

Key = tuple[str, int]
Record = tuple[float, float]  # (wall_time, value)


# -- the reference run -----------------------------------------------------------------------
@dataclass
class Message:
    start: int
    header_end: int  # continuation + length prefix + flatbuffer metadata
    end: int
    kind: str


@dataclass
class SmallRun:
    """A finished run of 5 flushes x 20 steps x 3 metrics (5 record batches) and its layout."""

    logdir: Path
    run_id: str
    data_name: str
    data: bytes
    messages: list[Message]
    records: dict[Key, Record]
    batch_keys: list[set[Key]] = field(default_factory=list)

    @property
    def batches(self) -> list[Message]:
        return [m for m in self.messages if m.kind == "record batch"]

    @property
    def eos(self) -> int:
        return self.messages[-1].end  # where the end-of-stream marker starts

    def boundaries(self) -> list[int]:
        return [0] + [m.end for m in self.messages]


def _layout(data: bytes) -> list[Message]:
    source = pa.BufferReader(data)
    out = []
    while True:
        start = source.tell()
        try:
            message = pa.ipc.read_message(source)
        except EOFError:
            break
        header_end = start + 8 + message.metadata.size
        out.append(Message(start, header_end, source.tell(), message.type))
    assert data[out[-1].end:] == b"\xff\xff\xff\xff\x00\x00\x00\x00"
    return out


def _records(reader: nbtrack.RunReader) -> list[tuple[str, int, float, float]]:
    table = reader.to_arrow()
    return list(zip(table.column("tag").to_pylist(), table.column("step").to_pylist(),
                    table.column("wall_time").to_pylist(), table.column("value").to_pylist()))


def _quiet_read(logdir: Path, run_id: str, stale_after: float = 3600.0) -> tuple[nbtrack.RunReader, list]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # damage warnings: we look at r.damage instead
        reader = nbtrack.open(logdir, stale_after=stale_after).run(run_id)
        return reader, _records(reader)


def _metric_value(tag: str, step: int) -> float:
    return {"a": step * 1.5, "b": -step / 7, "c": step**2 + 0.25}[tag]


@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory) -> SmallRun:
    logdir = tmp_path_factory.mktemp("small") / "logs"
    run = nbtrack.init(project="corrupt", dir=logdir, id="small", flush_interval=3600)
    for flush in range(5):
        for i in range(20):
            step = flush * 20 + i
            run.log({tag: _metric_value(tag, step) for tag in "abc"})
        run.flush()
    run.finish()
    data_file = next((logdir / "small" / "data").iterdir())
    data = data_file.read_bytes()
    messages = _layout(data)
    reader, records = _quiet_read(logdir, "small")
    assert reader.damage == [] and reader.status == "finished"
    table = {(t, s): (w, v) for t, s, w, v in records}
    assert len(table) == len(records) == 300
    assert all(v == _metric_value(t, s) for (t, s), (_w, v) in table.items())
    small = SmallRun(logdir, "small", data_file.name, data, messages, table)
    assert [m.kind for m in messages] == ["schema"] + ["record batch"] * 5
    small.batch_keys = [{(t, flush * 20 + i) for t in "abc" for i in range(20)} for flush in range(5)]
    return small


class Trials:
    """Reads mutated copies of the small run and tallies what the reader made of them."""

    def __init__(self, small: SmallRun, where: Path) -> None:
        self.small = small
        self.logdir = where / "logs"
        shutil.copytree(small.logdir, self.logdir)
        self.file = self.logdir / small.run_id / "data" / small.data_name
        self.outcomes: collections.Counter[str] = collections.Counter()
        self.problems: dict[str, list[str]] = collections.defaultdict(list)
        self.count = 0

    def _whole_tags(self, batches: list[int], present: set[Key]) -> bool:
        """format 2.0 checks each tag's rows of a batch on their own: a batch may lose whole tags only."""
        for i in batches:
            keys = self.small.batch_keys[i]
            for tag in {t for t, _ in keys}:
                rows = {k for k in keys if k[0] == tag}
                if rows & present and not rows <= present:
                    return False
        return True

    def run(self, data: bytes, label: str, pos: int | None = None, expect_lost: set[int] | None = None
            ) -> tuple[nbtrack.RunReader | None, list[Any]]:
        """Read ``data`` as the data file; check the contract; tally the outcome.

        ``pos``: the changed byte (damage must start at or before it when records are lost).
        ``expect_lost``: if given, exactly these batches must be missing.
        """
        self.count += 1
        self.file.write_bytes(data)
        try:
            reader, records = _quiet_read(self.logdir, self.small.run_id)
        except Exception as exc:
            self._problem("raised", f"{label}: {type(exc).__name__}: {exc}")
            return None, []
        original = self.small.records
        keys = [(t, s) for t, s, _w, _v in records]
        wrong = [(t, s, w, v) for t, s, w, v in records if original.get((t, s)) != (w, v)]
        if wrong:
            self._problem("WRONG VALUES", f"{label}: {len(wrong)} records, e.g. {wrong[:2]}")
            return reader, records
        if len(set(keys)) != len(keys):
            self._problem("duplicated records", f"{label}: {len(keys) - len(set(keys))} duplicates")
            return reader, records
        present = set(keys)
        lost = [i for i, batch in enumerate(self.small.batch_keys) if not batch <= present]
        partial = [i for i in lost if self.small.batch_keys[i] & present]
        damage = reader.damage
        data_damage = [d for d in damage if Path(d.file).name == self.small.data_name]
        if partial and not self._whole_tags(partial, present):
            self._problem("partial batch", f"{label}: batches {partial} partly returned")
        elif expect_lost is not None:  # truncation: the lost batches are simply not in the file
            if set(lost) != expect_lost:
                self._problem("wrong batches", f"{label}: lost batches {lost}, expected {sorted(expect_lost)}")
            elif damage and len(data_damage) != len(damage):
                self._problem("damage names another file", f"{label}: {damage}")
            else:
                self.outcomes["as expected"] += 1
        elif lost and not damage:
            self._problem("silent loss", f"{label}: lost batches {lost}, no damage reported")
        elif damage and len(data_damage) != len(damage):
            self._problem("damage names another file", f"{label}: {damage}")
        elif lost and pos is not None and not any(d.offset <= pos for d in damage):
            batches = self.small.batches
            where = ("a lost batch" if any(batches[i].start <= pos < batches[i].end for i in lost)
                     else "no lost batch: they are intact")
            self._problem("loss reported after the changed byte",
                          f"{label}: lost batches {lost} "
                          f"(at {[(batches[i].start, batches[i].end) for i in lost]}; changed byte "
                          f"in {where}), damage only at "
                          f"{[(d.offset, d.length, d.reason[:70]) for d in damage]}")
        elif lost and not all(any(d.offset < self.small.batches[i].end and
                                  d.offset + d.length > self.small.batches[i].start for d in damage)
                              for i in lost):
            self._problem("lost batch outside every damage region",
                          f"{label}: lost {lost}, damage {[(d.offset, d.length) for d in damage]}")
        else:
            self.outcomes["records lost, reported" if lost else
                          "no loss, damage reported" if damage else "harmless (no loss, no report)"] += 1
        return reader, records

    def _problem(self, kind: str, detail: str) -> None:
        self.outcomes[kind] += 1
        self.problems[kind].append(detail)

    def summary(self, title: str) -> str:
        lines = [f"{title}: {self.count} trials: " + ", ".join(f"{k}: {v}" for k, v in self.outcomes.most_common())]
        for kind, details in self.problems.items():
            lines.append(f"  {kind} ({len(details)}), e.g.:")
            lines.extend(f"    {d[:400]}" for d in details[:6])
        return "\n".join(lines)

    def assert_clean(self, title: str) -> None:
        text = self.summary(title)
        print(text)
        assert not self.problems, text


def _header_positions(small: SmallRun) -> list[int]:
    """Every byte of the schema message, of each batch's header and of the end-of-stream marker."""
    pos = [p for m in small.messages for p in range(m.start, m.header_end)]
    return sorted(set(pos + list(range(small.eos, len(small.data)))))


# -- 7. bit flips and random bytes --------------------------------------------------------------
@pytest.mark.slow
def test_bit_flip_every_bit_of_every_header(small: SmallRun, tmp_path: Path) -> None:
    """All 8 bits of each byte of the schema message, the first batch's header and the EOS marker."""
    trials = Trials(small, tmp_path)
    first = {p for m in small.messages[:2] for p in range(m.start, m.header_end)}
    positions = sorted(first | set(range(small.eos, len(small.data))))
    assert len(positions) > 800
    for pos in positions:
        for bit in range(8):
            data = bytearray(small.data)
            data[pos] ^= 1 << bit
            trials.run(bytes(data), f"flip byte {pos} bit {bit}", pos)
    trials.assert_clean("bit flips in headers")


@pytest.mark.slow
def test_bit_flip_every_byte(small: SmallRun, tmp_path: Path) -> None:
    """One bit (rotating 0..7) of every byte of the file, bodies included."""
    trials = Trials(small, tmp_path)
    for pos in range(len(small.data)):
        data = bytearray(small.data)
        data[pos] ^= 1 << (pos % 8)
        trials.run(bytes(data), f"flip byte {pos} bit {pos % 8}", pos)
    assert trials.outcomes["records lost, reported"] > 0  # body flips are caught by the CRC
    trials.assert_clean("one bit flip per byte")


@pytest.mark.slow
def test_random_byte_values(small: SmallRun, tmp_path: Path) -> None:
    """One byte set to a random other value: every header byte, every 3rd body byte."""
    rng = random.Random(20240611)
    trials = Trials(small, tmp_path)
    positions = sorted(set(_header_positions(small)) | set(range(0, len(small.data), 3)))
    assert len(positions) > 3000
    for pos in positions:
        data = bytearray(small.data)
        data[pos] = (data[pos] + rng.randrange(1, 256)) % 256
        trials.run(bytes(data), f"byte {pos} := {data[pos]:#04x} (was {small.data[pos]:#04x})", pos)
    trials.assert_clean("random byte values")


def test_schema_flips_that_break_the_reader(small: SmallRun, tmp_path: Path) -> None:
    """Fast, targeted cases found by the exhaustive tests (kept so they run without -m slow)."""
    trials = Trials(small, tmp_path)
    schema = small.messages[0]
    version_at = small.data.index(FORMAT_VERSION.encode(), schema.start, schema.end)  # nbtrack.format in the schema
    for bit in (1, 2, 3):  # '1' -> '3', '5', '9'
        data = bytearray(small.data)
        data[version_at] ^= 1 << bit
        trials.run(bytes(data), f"schema format version byte {version_at} bit {bit} "
                   f"({small.data[version_at:version_at + 3]!r} -> {bytes(data[version_at:version_at + 3])!r})",
                   version_at)
    # a flipped integer bit width in the schema's field types (byte found by the exhaustive test)
    for pos in range(schema.start, schema.end):
        data = bytearray(small.data)
        data[pos] ^= 1
        trials.run(bytes(data), f"schema byte {pos} bit 0", pos)
    trials.assert_clean("schema message flips")


def test_length_field_flips_lose_intact_batches(small: SmallRun, tmp_path: Path) -> None:
    """The length prefix and bodyLength are outside the CRC: a flip there must not cost the next batch."""
    trials = Trials(small, tmp_path)
    first = small.batches[0]
    # the schema's metadata length prefix (bytes 4..7) and the first batch's (bytes start+4..start+7)
    for pos in (*range(4, 6), *range(first.start + 4, first.start + 6)):
        for bit in range(8):
            data = bytearray(small.data)
            data[pos] ^= 1 << bit
            trials.run(bytes(data), f"length prefix byte {pos} bit {bit}", pos)
    # bodyLength of the first batch: find the int64 in its header equal to the body size
    body = first.end - first.header_end
    header = small.data[first.start:first.header_end]
    at = first.start + header.index(body.to_bytes(8, "little"))
    for pos in range(at, at + 3):
        for bit in range(8):
            data = bytearray(small.data)
            data[pos] ^= 1 << bit
            trials.run(bytes(data), f"bodyLength of batch 0 byte {pos} bit {bit}", pos)
    trials.assert_clean("length fields")


# -- 8. truncation -------------------------------------------------------------------------------
@pytest.mark.slow
def test_truncation_at_many_offsets(small: SmallRun, tmp_path: Path) -> None:
    """A file cut at k returns exactly the batches complete before k; a finished writer's torn tail is reported.

    Every offset in a header or within 16 bytes of a message boundary, every 3rd elsewhere.
    """
    trials = Trials(small, tmp_path)
    bounds = small.boundaries()
    torn_unreported = []
    near = {k for b in bounds for k in range(b - 16, b + 17)}
    offsets = sorted({k for k in near | set(_header_positions(small)) | set(range(0, len(small.data), 3))
                      if 0 <= k <= len(small.data)} | {len(small.data)})
    assert len(offsets) > 4000
    for k in offsets:
        complete = {i for i, b in enumerate(small.batches) if b.end <= k}
        reader, _ = trials.run(small.data[:k], f"cut at {k}", None, set(range(5)) - complete)
        if reader is None or k in bounds or k >= small.eos:
            continue
        last = max(b for b in bounds if b <= k)
        if not any(d.offset == last and d.offset + d.length <= k for d in reader.damage):
            torn_unreported.append((k, [(d.offset, d.length, d.reason) for d in reader.damage]))
    trials.assert_clean("truncation")
    assert not torn_unreported, f"torn tails not reported at their start: {torn_unreported[:5]}"


def test_truncation_at_a_batch_boundary_of_a_finished_writer_is_reported(small: SmallRun, tmp_path: Path) -> None:
    """A finished writer always ends its file with the end-of-stream marker; a file cut
    exactly between two records has lost records too, and must say so."""
    trials = Trials(small, tmp_path)
    silent = []
    for k in small.boundaries()[:-1]:  # 0, after the schema, after batches 0..3 (batch 4 lost)
        complete = {i for i, b in enumerate(small.batches) if b.end <= k}
        reader, _ = trials.run(small.data[:k], f"cut at boundary {k}", None, set(range(5)) - complete)
        if reader is not None and not reader.damage:
            silent.append(k)
    trials.assert_clean("cut at boundaries")
    assert not silent, (f"a finished writer's file cut at byte offsets {silent} (between records, so "
                        "records are lost and the end-of-stream marker is missing) reports no damage")


def _mark_running(logdir: Path, run_id: str) -> None:
    """Make the writer manifest say: running, in this (live) process, heartbeat now."""
    for path in (logdir / run_id / "writers").glob("*.json"):
        manifest = json.loads(path.read_text())
        manifest.update(status="running", pid=os.getpid(), host=socket.gethostname(), heartbeat=time.time())
        path.write_text(json.dumps(manifest))


@pytest.mark.slow
def test_file_growing_byte_by_byte_is_read_exactly_once(small: SmallRun, tmp_path: Path) -> None:
    """While the writer runs, a partial record is left for later: cut at k, poll, complete, poll."""
    trials = Trials(small, tmp_path)
    _mark_running(trials.logdir, small.run_id)
    bounds = small.boundaries()
    near = {k for b in bounds for k in range(b - 12, b + 12)}
    offsets = sorted(k for k in near | set(range(0, len(small.data), 5)) if 0 <= k <= len(small.data))
    problems = []
    for k in offsets:
        trials.file.write_bytes(small.data[:k])
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            reader = nbtrack.open(trials.logdir, stale_after=3600).run(small.run_id)
            first = reader.poll()
            trials.file.write_bytes(small.data)
            second = reader.poll()
        complete = sum(b.end <= k for b in small.batches)
        if len(first) != 60 * complete or len(second) != 300 - 60 * complete or reader.damage:
            problems.append((k, len(first), len(second), reader.damage))
    assert len(offsets) > 2000
    assert not problems, f"{len(problems)} offsets misread, e.g. {problems[:5]}"


# -- 9. junk after a crash or after the end-of-stream marker ---------------------------------------
@pytest.fixture(scope="module")
def crashed(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, int]:
    """A run whose writer process exited without finishing (no end-of-stream marker)."""
    logdir = tmp_path_factory.mktemp("crashed") / "logs"
    env = {k: v for k, v in os.environ.items() if not k.startswith("NBTRACK_")}
    env["PYTHONPATH"] = str(REPO) + os.pathsep + env.get("PYTHONPATH", "")
    done = subprocess.run([sys.executable, str(CHILD), "--dir", str(logdir), "--id", "cr", "--tags", "a,b",
                           "--steps", "100", "--flush-every", "20", "--flush-interval", "3600",
                           "--end", "abort"], env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 3, done.stderr
    assert "Traceback" not in done.stderr
    return logdir, 100


def _copy(src: Path, dst: Path, run_id: str, tail: bytes) -> tuple[Path, Path]:
    shutil.copytree(src, dst)
    data_file = next((dst / run_id / "data").iterdir())
    with open(data_file, "ab") as f:
        f.write(tail)
    return dst, data_file


def _check_crashed_run(logdir: Path, steps: int) -> nbtrack.RunReader:
    sys.path.insert(0, str(HERE / "_proc"))
    try:
        from common import value
    finally:
        sys.path.remove(str(HERE / "_proc"))
    reader, records = _quiet_read(logdir, "cr")
    assert reader.status == "crashed"
    assert sorted((t, s) for t, s, _w, _v in records) == sorted((t, s) for t in "ab" for s in range(steps))
    assert all(v == value(t, s) for t, s, _w, v in records)
    return reader


@pytest.mark.parametrize("size", [1, 7, 8, 4096, 65536])
def test_zero_filled_tail_after_a_crash(crashed: tuple[Path, int], tmp_path: Path, size: int) -> None:
    src, steps = crashed
    logdir, _ = _copy(src, tmp_path / "logs", "cr", bytes(size))
    reader = _check_crashed_run(logdir, steps)
    end = next((logdir / "cr" / "data").iterdir()).stat().st_size - size
    assert all(d.offset == end for d in reader.damage), reader.damage  # if reported: the junk only


@pytest.mark.parametrize("seed", range(6))
def test_garbage_tail_after_a_crash(crashed: tuple[Path, int], tmp_path: Path, seed: int) -> None:
    rng = random.Random(seed)
    garbage = bytes(rng.randrange(256) for _ in range(rng.choice([3, 9, 200, 5000])))
    if seed == 5:
        garbage = b"\xff\xff\xff\xff" + garbage  # looks like the start of a message
    src, steps = crashed
    logdir, data_file = _copy(src, tmp_path / "logs", "cr", garbage)
    reader = _check_crashed_run(logdir, steps)
    assert reader.damage, "garbage after the last record is not reported"
    assert {Path(d.file).name for d in reader.damage} == {data_file.name}
    end = data_file.stat().st_size - len(garbage)
    assert min(d.offset for d in reader.damage) == end


@pytest.mark.parametrize("tail", [b"\x00" * 100, b"garbage!" * 50, b"\xff" * 64,
                                  b"\xff\xff\xff\xff\x00\x00\x00\x00" * 3 + b"x"],
                         ids=["zeros", "text", "ff", "eos-again-then-junk"])
def test_bytes_after_the_end_of_stream_marker(small: SmallRun, tmp_path: Path, tail: bytes) -> None:
    logdir, data_file = _copy(small.logdir, tmp_path / "logs", small.run_id, tail)
    reader, records = _quiet_read(logdir, small.run_id)
    assert {(t, s): (w, v) for t, s, w, v in records} == small.records and len(records) == 300
    if tail.strip(b"\0"):
        assert [(d.offset, d.length) for d in reader.damage] == [(len(small.data), len(tail))], reader.damage
        assert "after the end-of-stream" in reader.damage[0].reason
        assert Path(reader.damage[0].file) == data_file
    else:
        assert reader.damage == []


# -- 10. unknown format versions -------------------------------------------------------------------
def _set_run_json(logdir: Path, run_id: str, **changes: Any) -> None:
    path = logdir / run_id / "run.json"
    identity = json.loads(path.read_text())
    identity.update(changes)
    path.write_text(json.dumps(identity))


def test_unknown_major_format_version(tmp_path: Path) -> None:
    for rid in ("future", "minor", "fine"):
        with nbtrack.init(project="v", dir=tmp_path, id=rid, flush_interval=3600) as run:
            run.log({"loss": 0.5})
    _set_run_json(tmp_path, "future", format_version="9.0")
    _set_run_json(tmp_path, "minor", format_version="1.7")  # a newer minor version stays readable

    lg = nbtrack.open(tmp_path)
    runs = lg.runs()
    assert sorted(runs["id"]) == ["fine", "minor"]
    assert len(lg.problems) == 1 and "future" in lg.problems[0] and "9.0" in lg.problems[0]
    assert lg.run("minor").history()["loss"].tolist() == [0.5]
    with pytest.raises(nbtrack.UnsupportedFormatError, match=r"9\.0") as info:
        lg.run("future")
    assert "upgrade" in str(info.value)
    with pytest.raises(nbtrack.UnsupportedFormatError, match=r"9\.0"):
        nbtrack.open(tmp_path).run("future")
    with pytest.raises(nbtrack.UnsupportedFormatError):
        nbtrack.RunReader(tmp_path / "future")


def test_unreadable_run_json_does_not_break_the_listing(tmp_path: Path) -> None:
    for rid in ("broken", "fine"):
        with nbtrack.init(project="v", dir=tmp_path, id=rid, flush_interval=3600) as run:
            run.log({"loss": 0.5})
    (tmp_path / "broken" / "run.json").write_text('{"format_version": "1.0", "id": "bro')
    lg = nbtrack.open(tmp_path)
    assert lg.runs()["id"].tolist() == ["fine"]
    assert any("broken" in p for p in lg.problems)


# -- 11. other tools read a run with a torn tail ---------------------------------------------------
def test_dataframe_libraries_read_a_torn_run(small: SmallRun, tmp_path: Path) -> None:
    polars = pytest.importorskip("polars")
    duckdb = pytest.importorskip("duckdb")
    logdir = tmp_path / "logs"
    shutil.copytree(small.logdir, logdir)
    data_file = logdir / small.run_id / "data" / small.data_name
    cut = small.batches[3].start + 100  # batches 0..2 complete, batch 3 torn
    data_file.write_bytes(small.data[:cut])
    reader, _records = _quiet_read(logdir, small.run_id)
    assert min(d.offset for d in reader.damage) == small.batches[3].start  # the torn tail
    tbl = reader.to_arrow()
    expected = 180
    assert tbl.num_rows == expected

    frame = tbl.to_pandas()
    assert len(frame) == expected
    assert sorted(frame["tag"].astype(str).unique()) == ["a", "b", "c"]
    assert frame.groupby("tag", observed=True)["step"].max().to_dict() == {"a": 59, "b": 59, "c": 59}

    pl = polars.from_arrow(tbl)
    assert pl.height == expected
    assert pl.filter(polars.col("tag") == "a")["value"].sum() == sum(_metric_value("a", s) for s in range(60))

    assert duckdb.sql("select count(*) from tbl").fetchall() == [(expected,)]
    rows = duckdb.sql("select tag, count(*), max(step) from tbl group by tag order by tag").fetchall()
    assert [(str(t), n, m) for t, n, m in rows] == [("a", 60, 59), ("b", 60, 59), ("c", 60, 59)]
    assert duckdb.from_arrow(tbl).aggregate("count(*)").fetchall() == [(expected,)]

    hist = reader.history()
    assert hist["_step"].tolist() == list(range(60))
    assert hist["c"].tolist() == [_metric_value("c", s) for s in range(60)]
