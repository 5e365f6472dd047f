"""A chunk of records -> scalar columns and a list of other values, in record order.

Two paths give identical columns (tests/tensorboard/test_events.py checks it on every fixture and
on random mixes): protobuf (one ``Event.FromString`` per record, every kind of value) and the
fast path of ``fastpath.py`` for the common record "one scalar, wall time, step" (tensorboardX /
torch ``add_scalar``'s ``simple_value``, Keras' TF2 float scalar tensors). The fast path reads
those records with numpy at fixed offsets after a template check done with protobuf once per
distinct template; everything else falls back to protobuf.

Measured 2026-12-06 on this machine (2 cores shared with other sessions, load average 2-7, so
numbers swing up to 2x between runs; medians):

- tensorboardX file, 400,001 records (100,000 steps x 4 tags, 18.7 MB), in one process (11 runs,
  load ~3): framing 0.16 s; framing + fast path 0.25 s (best 0.23 s); framing + protobuf path
  1.39 s. ``benchmarks/bench_tb_decode.py`` (a fresh process per read, 5 runs, load 2-3): fast
  path 0.36 s (best 0.31 s), protobuf path 1.41 s, TensorBoard's ``EventAccumulator`` 7.85 s
  (best 6.33 s), tbparse 8.18 s (best 6.80 s). At load 6-7 the same bench gave 0.56 / 2.30 /
  11.45 / 13.88 s.
- Keras fixtures (hparam_tuning, 30,003 records of TF2 float scalar tensors each, 5 runs):
  protobuf 0.22-0.25 s, fast 0.018-0.024 s.
- The other fixtures (< 1,100 records, or mostly media and histograms): both paths within a few
  ms (the fast path's setup costs 1-3 ms there); a chunk under ``min_fast`` (32) records goes
  through protobuf, where templating would cost more.

The fast path won because the cost is per-record Python work (``FromString``, attribute access,
a list append per value), not protobuf's parsing: the fast path does that work once per template
(a handful per file) and numpy does the rest per column. What is left is mostly the framing's one
native CRC call per record (about 0.09 s for 400,000 records).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

# modules imported by their full name: `from . import x` would import this package's __init__ (a cycle)
import nbtrack.tensorboard.events.kinds as kinds
import nbtrack.tensorboard.events.proto as proto

FAST_MIN_RECORDS = 32  # a smaller chunk (a live poll) is cheaper through protobuf than templated

@dataclass
class TBValue:
    """One non-scalar value of record ``record``; ``kind`` says what ``data`` holds:

    - ``"histogram"``: ``edges`` (float64, n + 1, as written: a legacy ``HistogramProto``'s
      ``bucket_limit`` are right edges after ``min``; a TF2 ``[k, 3]`` tensor's left edges and
      its last right edge), ``counts`` (float64, n); ``min``, ``max``, ``num``, ``sum``,
      ``sum_squares`` where the file has them (TF2: ``num`` only);
    - ``"image"``: ``images``: list of ``{data, format, width, height}`` (format sniffed:
      png/jpeg/gif/webp/unknown; sizes from the message, the TF2 tensor or a PNG header);
    - ``"audio"``: ``clips``: list of ``{data, format, sample_rate, channels}`` (a WAV header
      fills in what the message lacks);
    - ``"text"``: ``{"text": str}`` or ``{"rows": list[list[str]]}``;
    - ``"pr_curve"``: ``thresholds`` (n) and float64 arrays ``tp fp tn fn precision recall``;
    - ``"hparams"``: ``{"experiment": ...}``, ``{"session_start": ...}`` or ``{"session_end": ...}``;
    - ``"custom_scalars"``: ``{"layout": {"categories": [...]}}``;
    - ``"graph"``: ``{"format": "graph_def" | "keras" | "run_metadata" | "meta_graph", "data"}``
      (``data`` is the JSON text for Keras, bytes otherwise; a record-level graph has tag ``""``).
    """

    record: int
    step: int
    wall_time: float
    tag: str
    kind: str
    data: dict[str, Any]


@dataclass
class DecodedEvents:
    """What :func:`decode` found in a chunk (columns in record order)."""

    scalar_tags: list[str]
    scalar_tag: np.ndarray
    scalar_step: np.ndarray
    scalar_time: np.ndarray
    scalar_value: np.ndarray
    scalar_record: np.ndarray
    values: list[TBValue] = field(default_factory=list)
    session_logs: list[tuple[int, int, int]] = field(default_factory=list)
    file_version: str | None = None
    problems: list[str] = field(default_factory=list)
    unknown_plugins: dict[str, int] = field(default_factory=dict)  # plugin name -> values seen
    fast_records: int = 0  # records read by the fast path


@dataclass
class _Acc:
    """Accumulators of one decode call."""

    tags: dict[str, int]
    plugins: Any  # dict[str, str] while the fast path runs, then a _Plugins view
    rows: list[tuple[int, int, float, float, int]] = field(default_factory=list)  # tag, step, time, value, rec
    values: list[TBValue] = field(default_factory=list)
    session_logs: list[tuple[int, int, int]] = field(default_factory=list)
    file_version: str | None = None
    problems: list[str] = field(default_factory=list)
    unknown: dict[str, int] = field(default_factory=dict)
    fast_plugins: list[tuple[np.ndarray, str, str]] = field(default_factory=list)  # (records, tag, plugin)

    def tag_index(self, tag: str) -> int:
        return self.tags.setdefault(tag, len(self.tags))


def decode(buffer: bytes, starts: np.ndarray, lengths: np.ndarray, tag_plugins: dict[str, str] | None = None,
           fast: bool = True, min_fast: int = FAST_MIN_RECORDS) -> DecodedEvents:
    """Every record's ``Event``, decoded (see the package docstring for the result).

    ``tag_plugins`` (tag -> plugin name) carries what earlier chunks said about a tag: TF2 writers
    send a tag's plugin metadata only with its first value. Pass the same dict for every chunk of
    a file. ``fast=False`` uses protobuf for every record (the reference path), and so does a
    chunk of fewer than ``min_fast`` records.

    >>> from nbtrack.tensorboard.events.framing import frame, scan
    >>> ev = proto.Event(wall_time=2.0, step=7)
    >>> _ = ev.summary.value.add(tag="loss", simple_value=0.5)
    >>> buf = frame(proto.Event(file_version="brain.Event:2").SerializeToString()) + frame(ev.SerializeToString())
    >>> s = scan(buf)
    >>> out = decode(buf, s.starts, s.lengths)
    >>> out.file_version, out.scalar_tags, out.scalar_step.tolist(), out.scalar_value.tolist()
    ('brain.Event:2', ['loss'], [7], [0.5])
    """
    acc = _Acc({}, tag_plugins if tag_plugins is not None else {})
    starts, lengths = np.asarray(starts, dtype=np.int64), np.asarray(lengths, dtype=np.int64)
    fast_cols = None
    slow = np.arange(len(starts))
    if fast and len(starts) >= max(min_fast, 1):
        from .fastpath import fast_scalars

        try:
            fast_cols, done = fast_scalars(buffer, starts, lengths, acc)
            slow = np.flatnonzero(~done)
        except Exception as e:  # a bug or an input it did not foresee: protobuf reads everything
            acc.problems.append(f"fast path skipped ({type(e).__name__}: {e})")
    _decode_slow(memoryview(buffer), slow, starts, lengths, acc)
    return _result(acc, fast_cols)


class _Plugins:
    """Tag -> plugin name as the protobuf path would see it at ``record``: the latest record before
    it that carried metadata for the tag, whether the fast path or protobuf read that record."""

    def __init__(self, base: dict[str, str], fast: list[tuple[np.ndarray, str, str]]) -> None:
        self.base, self.record = base, -1
        self.slow_at: dict[str, int] = {}
        by_tag: dict[str, list[tuple[np.ndarray, str]]] = {}
        for recs, tag, plugin in fast:
            by_tag.setdefault(tag, []).append((recs, plugin))
        self.fast: dict[str, tuple[np.ndarray, list[str]]] = {}
        for tag, parts in by_tag.items():
            recs = np.concatenate([r for r, _ in parts])
            names = np.concatenate([np.full(len(r), i) for i, (r, _) in enumerate(parts)])
            order = np.argsort(recs, kind="stable")
            self.fast[tag] = (recs[order], [parts[i][1] for i in names[order].tolist()])

    def __setitem__(self, tag: str, plugin: str) -> None:
        self.base[tag] = plugin
        self.slow_at[tag] = self.record

    def get(self, tag: str, default: str = "") -> str:
        if tag in self.fast:
            recs, names = self.fast[tag]
            i = int(np.searchsorted(recs, self.record)) - 1
            if i >= 0 and recs[i] > self.slow_at.get(tag, -1):
                return names[i]
        return self.base.get(tag, default)

    def finish(self) -> None:
        """Leave the caller's dict as the chunk's last word on each tag."""
        for tag, (recs, names) in self.fast.items():
            if recs[-1] > self.slow_at.get(tag, -1):
                self.base[tag] = names[-1]


def _decode_slow(mv: memoryview, slow: np.ndarray, starts: np.ndarray, lengths: np.ndarray, acc: _Acc) -> None:
    """The records left to protobuf, in order, seeing tag plugins as the protobuf path would."""
    view = acc.plugins = _Plugins(acc.plugins, acc.fast_plugins)
    for r, s, n in zip(slow.tolist(), starts[slow].tolist(), lengths[slow].tolist()):
        view.record = r
        decode_record(mv[s:s + n], r, acc)
    view.finish()


def _result(acc: _Acc, fast_cols: tuple[np.ndarray, ...] | None) -> DecodedEvents:
    rows = acc.rows
    cols = [np.array([r[i] for r in rows], dtype=t)
            for i, t in enumerate((np.int32, np.int64, np.float64, np.float64, np.int64))]
    n_fast = 0
    if fast_cols is not None and len(fast_cols[0]):
        n_fast = len(fast_cols[0])
        cols = [np.concatenate([c, f.astype(c.dtype)]) for c, f in zip(cols, fast_cols)]
        order = np.argsort(cols[4], kind="stable")  # slow rows first within a record: keeps value order
        cols = [c[order] for c in cols]
    tags, cols[0] = _first_seen_order(list(acc.tags), cols[0])
    return DecodedEvents(tags, *cols, values=acc.values, session_logs=acc.session_logs,
                         file_version=acc.file_version, problems=acc.problems, unknown_plugins=acc.unknown,
                         fast_records=n_fast)


def _first_seen_order(tags: list[str], index: np.ndarray) -> tuple[list[str], np.ndarray]:
    """Renumber tags in the order of their first value (the fast path meets them template by template)."""
    if not len(index):
        return tags, index
    if len(tags) <= 64:  # a pass per tag beats a sort of the whole column
        first = np.array([int(np.argmax(index == k)) if (index == k).any() else len(index)
                          for k in range(len(tags))])
        order = np.argsort(first)[: int((first < len(index)).sum())]
    else:
        uniq, first = np.unique(index, return_index=True)
        order = uniq[np.argsort(first)]
    remap = np.zeros(len(tags), dtype=np.int32)
    remap[order] = np.arange(len(order), dtype=np.int32)
    return [tags[i] for i in order.tolist()], remap[index]


def decode_record(data: bytes | memoryview, r: int, acc: _Acc) -> None:
    """One record (index ``r``) into the accumulators; nothing escapes but into ``problems``."""
    try:
        ev = proto.Event.FromString(data)
    except Exception as e:  # DecodeError, or anything upb raises on hostile bytes
        acc.problems.append(f"record {r}: not an Event message ({e})")
        return
    what = ev.WhichOneof("what")
    if what == "summary":
        for v in ev.summary.value:
            _value(v, ev, r, acc)
    elif what == "file_version":
        acc.file_version = ev.file_version
    elif what == "session_log":
        acc.session_logs.append((r, ev.step, ev.session_log.status))
    elif what in ("graph_def", "meta_graph_def"):
        fmt = "graph_def" if what == "graph_def" else "meta_graph"
        acc.values.append(TBValue(r, ev.step, ev.wall_time, "", "graph",
                                  {"format": fmt, "data": getattr(ev, what)}))
    elif what == "tagged_run_metadata":
        t = ev.tagged_run_metadata
        acc.values.append(TBValue(r, ev.step, ev.wall_time, t.tag, "graph",
                                  {"format": "run_metadata", "data": t.run_metadata}))


def _value(v: Any, ev: Any, r: int, acc: _Acc) -> None:
    try:
        found = kinds.classify(v, acc.plugins)
    except Exception as e:  # ValueError from kinds/plugins; anything else is still this value's problem
        acc.problems.append(f"record {r}: tag {v.tag!r} step {ev.step}: {e}")
        return
    if found is None:
        return
    kind, data = found
    if kind == "scalar":
        acc.rows.append((acc.tag_index(v.tag), ev.step, ev.wall_time, data, r))
    elif kind == "unknown":
        acc.unknown[data] = acc.unknown.get(data, 0) + 1
    else:
        acc.values.append(TBValue(r, ev.step, ev.wall_time, v.tag, kind, data))
