"""Seeded fuzz of a run's data files and media files (issue 17 item 13, the store's part).

20 test items x 50 cases = 1,000 cases, each a copy of one small known-good run (scalars,
histograms and media streams, PNG, WAV, table JSON, PR-curve JSON and embedding vectors)
with one mutation applied, then read through every public path: ``nbtrack.open().runs()``,
``history()``, ``scalars()``, ``histograms()``, ``media(decode=True)``, ``show``'s snapshot
(``snapshot_of``). For every case:

- no exception;
- no wrong value: every scalar, histogram and media value read equals the original at its
  (tag, step[, index]) (a media value may be ``None``: left out and reported);
- no silent loss: when anything of the original is missing or ``None``, ``reader.damage`` or
  ``logdir.problems`` says so. A media file whose bytes changed is always reported (its
  checksum). A stream mutation that loses nothing may be silent: bytes no checksum covers
  can change without changing any value (Arrow buffer padding, unused flatbuffer bytes, the
  bytes of a torn-off end that held nothing);
- crafted batches with valid checksums (replays, tag ids out of range, bad or renamed names,
  invalid sequence numbers, deep JSON), inserted after the batch they were made from, are
  always reported and never read as values;
- peak memory of the process stays under 1.5 GB.

Manifests (JSON without checksums) are validated elsewhere and not fuzzed here.
"""

from __future__ import annotations

import json
import math
import random
import resource
import shutil
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

import nbtrack
from nbtrack.dashboard.snapshot import snapshot_of
from nbtrack.store import format as fmt

BATCHES, PER_BATCH = 20, 50
KINDS = ("flip", "zero_page", "truncate", "splice", "crafted", "media_file")
RSS_CAP = 1536 << 20
EOS = b"\xff\xff\xff\xff\x00\x00\x00\x00"


# -- the known-good run --------------------------------------------------------------------------------------------
def _record(logdir: Path) -> None:
    rng = np.random.default_rng(1)
    run = nbtrack.init(dir=logdir, id="good", flush_interval=3600)
    for step in range(24):
        values: dict[str, Any] = {"loss": 1.0 / (step + 1), "acc": step / 24.0}
        if step % 3 == 0:
            values["lr"] = 0.1 * 0.9 ** step
        if step % 6 == 0:
            values["w"] = nbtrack.Histogram(rng.normal(size=50), bins=5)
            values["img"] = nbtrack.Image(rng.integers(0, 255, (4, 4, 3), dtype=np.uint8))
            values["note"] = nbtrack.Text(f"step {step}")
        if step == 6:
            values["wav"] = nbtrack.Audio(rng.normal(size=400).astype(np.float32) * 0.1, sample_rate=8000)
            values["tbl"] = nbtrack.Table(columns=["x", "y"], data=[[1, "a"], [2.5, "b"]])
        if step == 12:
            values["emb"] = nbtrack.Embedding(rng.normal(size=(5, 3)).astype(np.float32), metadata=list("abcde"))
            values["pr"] = nbtrack.PRCurve([0, 1, 1, 0], [0.1, 0.9, 0.6, 0.3], num_thresholds=8)
        run.log(values, step=step)
        if step % 6 == 5:
            run.flush()
    run.finish()


def _canon(value: Any) -> Any:
    """A comparable form of any decoded value (NaN equal to NaN)."""
    if isinstance(value, np.ndarray):
        return ("nd", str(value.dtype), value.shape, value.tobytes())
    if isinstance(value, pd.DataFrame):
        return ("df", _canon(value.to_dict("split")))
    if isinstance(value, dict):
        return ("dict", sorted((str(k), _canon(v)) for k, v in value.items()))
    if isinstance(value, (list, tuple)):
        return ("seq", [_canon(v) for v in value])
    if isinstance(value, (float, np.floating)) and math.isnan(value):
        return "nan"
    if isinstance(value, np.generic):
        return value.item()
    return value


def _read_all(logdir: Path) -> tuple[dict[Any, Any], list[Any], list[str], nbtrack.RunReader | None]:
    """Everything readable, keyed by what identifies it; the damage, the logdir's problems, the reader."""
    lg = nbtrack.open(logdir)
    runs = lg.readers()
    if not runs:
        return {}, [], list(lg.problems), None
    r = runs[0]
    got: dict[Any, Any] = {}
    history = r.history()
    for tag in r.scalar_tags():
        frame = r.scalars(tag)
        for step, value in zip(frame["step"].tolist(), frame["value"].tolist()):
            got[("scalar", tag, step)] = _canon(value)
        column = history[["_step", tag]].dropna()
        for step, value in zip(column["_step"].tolist(), column[tag].tolist()):
            got[("history", tag, step)] = _canon(value)
    for tag, kind in r.media_tags().items():
        if kind == "histogram":
            for row in r.histograms(tag).to_dict("records"):
                got[("hist", tag, row["step"])] = _canon({k: v for k, v in row.items() if k != "time"})
            continue
        frame = r.media(tag, decode=True)
        for row in frame.to_dict("records"):
            got[("media", tag, row["step"], row["index"])] = (row["kind"], row["text"], _canon(row["value"]))
    snapshot_of([r])
    return got, list(r.damage), list(lg.problems), r


@pytest.fixture(scope="module")
def good(tmp_path_factory) -> dict[str, Any]:
    logdir = tmp_path_factory.mktemp("fuzz-good")
    _record(logdir)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        values, damage, problems, _ = _read_all(logdir)
    assert not damage and not problems and values
    folder = logdir / "good"
    streams = sorted(p.relative_to(folder).as_posix() for p in (folder / "data").iterdir())
    media = sorted(p.relative_to(folder).as_posix() for p in (folder / "media").rglob("*") if p.is_file())
    assert len(streams) == 3 and len(media) >= 8, (streams, media)
    return {"logdir": logdir, "values": values, "streams": streams, "media": media,
            "bytes": {name: (folder / name).read_bytes() for name in streams + media}}


# -- mutations -----------------------------------------------------------------------------------------------------
def _messages(data: bytes) -> list[tuple[int, int]]:
    source, out = pa.BufferReader(data), []
    while True:
        start = source.tell()
        try:
            pa.ipc.read_message(source)
        except EOFError:
            return out
        out.append((start, source.tell()))


def _flip(rng: random.Random, data: bytes) -> bytes:
    out = bytearray(data)
    for _ in range(rng.choice((1, 1, 2, 8))):
        pos = rng.randrange(len(out))
        out[pos] ^= 1 << rng.randrange(8)
    return bytes(out)


def _zero_page(rng: random.Random, data: bytes) -> bytes:
    size = rng.choice((64, 512, 4096))
    start = rng.randrange(len(data)) // size * size
    return data[:start] + bytes(len(data[start:start + size])) + data[start + size:]


def _truncate(rng: random.Random, data: bytes) -> bytes:
    return data[: rng.randrange(len(data))]


def _splice(rng: random.Random, data: bytes) -> bytes:
    pos, cut = rng.randrange(len(data)), rng.choice((0, 1, 8, 64))
    return data[:pos] + rng.randbytes(rng.choice((1, 8, 64))) + data[pos + cut:]


def _ranges_edit(edit: Any) -> Any:
    def craft(rng: random.Random, ranges: list[list[int]], rows: int) -> str:
        entry = rng.randrange(len(ranges))
        edit(rng, ranges, entry, rows)
        return json.dumps(ranges)
    return craft


def _set(field: int, value: Any) -> Any:
    return _ranges_edit(lambda rng, r, i, rows: r[i].__setitem__(field, value(rng, r, i, rows)))


RANGE_CRAFTS: dict[str, Any] = {
    "range_past_end": _set(2, lambda rng, r, i, rows: rows + rng.choice((1, 7, 2**40))),
    "range_negative": _set(1, lambda rng, r, i, rows: -rng.randrange(1, 100)),
    "range_overlap": _set(1, lambda rng, r, i, rows: max(0, r[i][1] - 1) if i else 1),
    "range_gap": _ranges_edit(lambda rng, r, i, rows: r.pop(i)),
    "range_repeated_tag": _ranges_edit(lambda rng, r, i, rows: r.append([r[i][0], rows, rows + 1, 0, 0, 0])),
    "range_other_tag": _set(0, lambda rng, r, i, rows: r[(i + 1) % len(r)][0] if len(r) > 1 else 1),
    "range_huge_tag": _set(0, lambda rng, r, i, rows: 2**31 - 1),
    "range_float": _set(2, lambda rng, r, i, rows: r[i][2] + 0.5),
    "range_crc": _set(3 + 0, lambda rng, r, i, rows: 2**32 + 5),
    "range_not_list": lambda rng, r, rows: rng.choice(('{"0": [0, 1]}', "[[0, 0]]", "[" * 200 + "]" * 200, "")),
}


def _crafted(rng: random.Random, data: bytes, kind: str) -> tuple[bytes, bool]:
    """A batch edited in a way the reader must refuse, its checksum recomputed; inserted or replacing one."""
    layout = _messages(data)
    start, end = rng.choice(layout[1:])  # a record batch
    source = pa.BufferReader(data[start:end])
    message = pa.ipc.read_message(source)
    schema = fmt.schema_for(kind)
    batch = pa.ipc.read_record_batch(message, schema)
    meta = fmt.message_custom_metadata(bytes(message.metadata))
    meta.pop(fmt.KEY_CRC)
    hows = ["replay", "huge_id", "negative_id", "tags_list", "tags_rename", "tags_deep", "seq_bad", "tags_bad_id"]
    if fmt.KEY_RANGES in meta:  # format 2.0 tag ranges: crafted ones must never read outside the batch
        hows += list(RANGE_CRAFTS) * 2
    how = rng.choice(hows)
    columns = list(batch.columns)
    if how in ("huge_id", "negative_id"):
        ids = columns[0].to_numpy().copy()
        ids[rng.randrange(len(ids))] = 2**31 - 1 if how == "huge_id" else -rng.randrange(1, 5)
        columns[0] = pa.array(ids, pa.int32())
    elif how == "tags_list":
        meta[fmt.KEY_TAGS] = '["loss", "acc"]'
    elif how == "tags_rename":
        meta[fmt.KEY_TAGS] = json.dumps({"0": "renamed"})
    elif how == "tags_deep":
        meta[fmt.KEY_TAGS] = "[" * 50_000 + "]" * 50_000
    elif how == "tags_bad_id":
        meta[fmt.KEY_TAGS] = json.dumps({rng.choice(("-1", "x", "99999999999")): "t"})
    elif how == "seq_bad":
        meta[fmt.KEY_SEQ] = rng.choice(("-3", "one", "", "1" * 40))
    elif how in RANGE_CRAFTS:
        meta[fmt.KEY_RANGES] = RANGE_CRAFTS[how](rng, json.loads(meta[fmt.KEY_RANGES]), batch.num_rows)
    batch = pa.RecordBatch.from_arrays(columns, schema=schema)
    if fmt.KEY_HEAD_CRC in meta:
        meta.pop(fmt.KEY_HEAD_CRC)
        meta[fmt.KEY_HEAD_CRC] = str(fmt.head_checksum(batch, meta))
    meta[fmt.KEY_CRC] = str(fmt.batch_checksum(batch, meta))
    out = pa.BufferOutputStream()
    pa.ipc.new_stream(out, schema).write_batch(batch, custom_metadata=meta)
    crafted = out.getvalue().to_pybytes()[len(fmt.schema_message(kind)):]
    # after the batch it copies: inserted before, an edited copy of a whole consistent prefix would be a
    # forgery no reader can tell from a real file (it is still reported, as a gap in the sequence)
    cut = rng.choice([e for _, e in layout if e >= end])
    return data[:cut] + crafted + data[cut:], True


def _mutate(rng: random.Random, kind: str, good: dict[str, Any], folder: Path) -> tuple[str, bool]:
    """Apply one mutation of ``kind`` to the copy in ``folder``; return (what, crafted)."""
    target = rng.choice(good["media"] if kind == "media_file" else good["streams"])
    data = good["bytes"][target]
    crafted = False
    if kind == "crafted":
        family = target.rsplit(".", 2)[-2]
        new, crafted = _crafted(rng, data, family)
    else:
        new = {"flip": _flip, "zero_page": _zero_page, "truncate": _truncate, "splice": _splice,
               "media_file": rng.choice((_flip, _zero_page, _truncate, _splice))}[kind](rng, data)
    (folder / target).write_bytes(new)
    return f"{kind} {target} ({len(data)} -> {len(new)} bytes, same={new == data})", crafted


# -- the check -------------------------------------------------------------------------------------------------------
def _check_case(good: dict[str, Any], seed: int, tmp: Path) -> None:
    rng = random.Random(seed)
    kind = KINDS[seed % len(KINDS)]
    logdir = tmp / f"case{seed}"
    shutil.copytree(good["logdir"], logdir)
    what, crafted = _mutate(rng, kind, good, logdir / "good")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            got, damage, problems, _ = _read_all(logdir)
    except Exception as exc:  # pragma: no cover - the failure message is the point
        raise AssertionError(f"seed {seed}: {what}: {type(exc).__name__}: {exc}") from exc
    want = good["values"]
    wrong = {k: v for k, v in got.items() if k not in want or (want[k] != v and not _left_out(k, v, want[k]))}
    assert not wrong, f"seed {seed}: {what}: wrong values {list(wrong)[:5]}"
    lost = [k for k in want if k not in got or got[k] != want[k]]
    reported = bool(damage or problems)
    assert reported or not lost, f"seed {seed}: {what}: lost {lost[:5]} without a report"
    if crafted or (kind == "media_file" and "same=False" in what):
        assert reported, f"seed {seed}: {what}: not reported"
    shutil.rmtree(logdir)


def _left_out(key: Any, got: Any, want: Any) -> bool:
    """A media record whose file could not be used: its value is None, the rest of the record is right."""
    return key[0] == "media" and got[2] is None and got[:2] == want[:2]


@pytest.mark.parametrize("batch", range(BATCHES))
def test_fuzz(good, tmp_path, batch):
    for seed in range(batch * PER_BATCH, (batch + 1) * PER_BATCH):
        _check_case(good, seed, tmp_path)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # kilobytes on Linux
    assert peak < RSS_CAP, f"peak RSS {peak >> 20} MB"
