"""Messages from the kernel to the live widget: schemas and binary codecs (pure).

Every message carries ``kind`` (lower-kebab) and the protocol version ``v``. Arrays
travel as binary buffers, never as JSON lists. ``js/src/codecs.js`` decodes the same
layout; keep the two in step.

``append`` (sequence-numbered, only new points)::

    {"kind": "append", "v": 1, "seq": 7,
     "series": [{"run": "a1b2c3d4", "key": "train/loss", "n": 120}, ...]}
    buffers: for each series in order: steps (float64), values (float64), times (float64)

Steps travel as float64: exact up to 2**53.
"""

from __future__ import annotations

from typing import Literal, TypedDict

import numpy as np

PROTOCOL_VERSION = 1
BUFFERS_PER_SERIES = 3


class SeriesHeader(TypedDict):
    run: str
    key: str
    n: int


class AppendMessage(TypedDict):
    kind: Literal["append"]
    v: int
    seq: int
    series: list[SeriesHeader]


Series = dict[tuple[str, str], tuple[np.ndarray, np.ndarray, np.ndarray]]


def encode_append(seq: int, series: Series) -> tuple[AppendMessage, list[memoryview]]:
    """An ``append`` message and its buffers for ``{(run, key): (steps, values, times)}``.

    >>> msg, buffers = encode_append(1, {("r1", "loss"): (np.arange(3), np.ones(3), np.zeros(3))})
    >>> msg["series"], len(buffers)
    ([{'run': 'r1', 'key': 'loss', 'n': 3}], 3)
    """
    headers: list[SeriesHeader] = []
    buffers: list[memoryview] = []
    for (run, key), (steps, values, times) in series.items():
        n = len(values)
        if not (len(steps) == len(times) == n):
            raise ValueError(f"series {key!r} of run {run!r}: steps, values and times differ in length")
        headers.append({"run": run, "key": key, "n": n})
        for column in (steps, values, times):
            # a copy: the caller's arrays may grow or change after the send is queued
            buffers.append(memoryview(np.array(column, dtype=np.float64, copy=True)))
    return {"kind": "append", "v": PROTOCOL_VERSION, "seq": seq, "series": headers}, buffers


def decode_append(message: AppendMessage, buffers: list[bytes | memoryview]) -> Series:
    """The inverse of :func:`encode_append` (what the widget's JS does), for tests and tools."""
    if message.get("kind") != "append" or message.get("v") != PROTOCOL_VERSION:
        raise ValueError(f"not an append message of protocol version {PROTOCOL_VERSION}: {message!r}")
    expected = BUFFERS_PER_SERIES * len(message["series"])
    if len(buffers) != expected:
        raise ValueError(f"append message with {len(message['series'])} series needs {expected} buffers, "
                         f"got {len(buffers)}")
    out: Series = {}
    for i, header in enumerate(message["series"]):
        cols = [np.frombuffer(buffers[BUFFERS_PER_SERIES * i + j], dtype=np.float64) for j in range(3)]
        if any(len(c) != header["n"] for c in cols):
            raise ValueError(f"series {header['key']!r}: buffers do not hold {header['n']} points")
        out[(header["run"], header["key"])] = (cols[0], cols[1], cols[2])
    return out
