"""TensorBoard event files, decoded: TFRecord framing and ``Event`` messages. Nothing of nbtrack.

``framing.py`` finds the records of a growing file (CRC32C checked); ``decode.py`` turns a
chunk of record payloads into columns of scalars and a list of other values, in record order.

The interface the reader (``nbtrack/tensorboard/reader``) relies on:

``EventFileTail(path)``
    ``read_new(final: bool) -> RecordChunk``: the complete records appended since the last
    call. ``final`` says the file's writer is gone (stale), so an incomplete record at its end
    is a torn tail (damage) instead of "not yet". ``offset`` is the next byte to read.
``RecordChunk``
    ``buffer`` (bytes), ``starts`` and ``lengths`` (int64 arrays: each record's payload),
    ``damage`` (list of ``(offset, length, reason)``: records skipped, a torn tail).
``decode(buffer, starts, lengths) -> DecodedEvents``
    Every record's ``Event``, decoded. ``DecodedEvents``:

    - ``scalar_tags`` (list[str]) and the columns ``scalar_tag`` (int32 index into
      ``scalar_tags``), ``scalar_step`` (int64), ``scalar_time`` (float64),
      ``scalar_value`` (float64), ``scalar_record`` (int64, the record's index), in
      record order;
    - ``values``: list of :class:`TBValue` (histograms, images, audio, text, PR curves,
      hparams, custom scalar layouts, graphs), in record order;
    - ``session_logs``: list of ``(record index, step, status)`` (status 1 = START);
    - ``file_version`` (str or None), ``problems`` (list[str]: a record or value that could
      not be decoded, said with its tag and step where known).

Extensions beyond that interface:

- ``EventFileTail.skipped_records`` (int) and ``.damage`` (every damage entry so far);
  ``RecordChunk.base_offset`` (file offset of ``buffer[0]``) and ``.payloads()``;
- ``decode(..., tag_plugins=None, fast=True, min_fast=32)``: pass one ``tag_plugins`` dict for
  every chunk of a file (TF2 writers send a tag's plugin metadata only with its first value);
  ``fast=False`` is the protobuf-only reference path;
- ``DecodedEvents.unknown_plugins`` (plugin name -> values seen) and ``.fast_records``;
- ``decode_file(path)``, ``scan(buf, final) -> ScanResult``, ``frame(payload)``, ``masked_crc(data)``;
  ``graph_def_scopes(data)`` and ``keras_layers(config_json)`` for graph values;
- ``proto``: the message classes (``proto.Event`` ...), defined in this room.

Value kinds and their ``data`` are described in ``decode.py``/``kinds.py``/``plugins.py``.
"""

from __future__ import annotations

import os

from .decode import DecodedEvents, TBValue, decode
from .framing import MAX_RECORD, EventFileTail, RecordChunk, ScanResult, frame, masked_crc, scan
from .plugins import graph_def_scopes, keras_layers

__all__ = ["MAX_RECORD", "DecodedEvents", "EventFileTail", "RecordChunk", "ScanResult", "TBValue", "decode",
           "decode_file", "frame", "graph_def_scopes", "keras_layers", "masked_crc", "scan"]


def decode_file(path: str | os.PathLike[str], fast: bool = True) -> DecodedEvents:
    """A whole (finished) event file, decoded; damage found by the framing joins ``problems``.

    >>> import tempfile
    >>> from nbtrack.tensorboard.events import proto
    >>> path = os.path.join(tempfile.mkdtemp(), "events.out.tfevents.0")
    >>> with open(path, "wb") as f:
    ...     _ = f.write(frame(proto.Event(file_version="brain.Event:2").SerializeToString()))
    >>> decode_file(path).file_version
    'brain.Event:2'
    """
    chunk = EventFileTail(path).read_new(final=True)
    out = decode(chunk.buffer, chunk.starts, chunk.lengths, fast=fast)
    out.problems[:0] = [f"bytes {o}..{o + n}: {why}" for o, n, why in chunk.damage]
    return out
