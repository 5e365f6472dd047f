"""Read a wandb offline transaction log (``run-<id>.wandb``) back into rows.

wandb 0.31 ships no Python reader for its ``.wandb`` files any more (the old
``wandb.sdk.internal.datastore.DataStore`` was removed when the Go
``wandb-core`` took over writing them), but it still ships the protobuf
classes for the records (``wandb.proto.wandb_internal_pb2.Record``).  This
module supplies only the framing, written for this benchmark:

* a 7-byte file header: the 4 bytes ``:W&B``, a little-endian uint16 magic
  (0xBEE1) and a one-byte version;
* then the LevelDB log layout: 32 KiB blocks; each chunk has a 7-byte header
  (uint32 checksum, uint16 length, uint8 type) and a chunk never straddles a
  block boundary (a block tail shorter than a header is zero padding).  Chunk
  types are FULL=1, FIRST=2, MIDDLE=3, LAST=4; FIRST..LAST pieces are joined
  into one record.

Checksums are *not* verified (that would only make wandb's side slower, and
this benchmark must not handicap the peers).  Each record payload is decoded
with wandb's own ``Record`` protobuf class; history records become rows.
"""

from __future__ import annotations

import json
import struct

_FILE_HEADER = struct.Struct("<4sHB")
_CHUNK_HEADER = struct.Struct("<IHB")
_BLOCK = 32 * 1024
_FULL, _FIRST, _MIDDLE, _LAST = 1, 2, 3, 4


def iter_record_bytes(path: str):
    """Yield each record's payload bytes from a ``.wandb`` file."""
    with open(path, "rb") as f:
        data = f.read()
    ident, magic, _version = _FILE_HEADER.unpack_from(data, 0)
    if ident != b":W&B" or magic != 0xBEE1:
        raise ValueError(f"{path}: not a wandb transaction log (header {ident!r} {magic:#x})")
    pos = _FILE_HEADER.size
    end = len(data)
    hsize = _CHUNK_HEADER.size
    unpack = _CHUNK_HEADER.unpack_from
    pending: list[bytes] | None = None
    while pos + hsize <= end:
        left_in_block = _BLOCK - (pos % _BLOCK)
        if left_in_block < hsize:  # zero padding at the end of a block
            pos += left_in_block
            continue
        _crc, length, kind = unpack(data, pos)
        pos += hsize
        if kind == 0 and length == 0:  # preallocated / zero tail
            pos += left_in_block - hsize
            continue
        chunk = data[pos : pos + length]
        pos += length
        if kind == _FULL:
            yield chunk
        elif kind == _FIRST:
            pending = [chunk]
        elif kind == _MIDDLE:
            if pending is not None:
                pending.append(chunk)
        elif kind == _LAST:
            if pending is not None:
                pending.append(chunk)
                yield b"".join(pending)
            pending = None
        else:
            raise ValueError(f"{path}: bad chunk type {kind} at offset {pos - length - hsize}")


def read_history_rows(path: str) -> list[dict]:
    """Decode every history record into a dict ``{"_step": n, key: value, ...}``."""
    from wandb.proto import wandb_internal_pb2

    Record = wandb_internal_pb2.Record
    loads = json.loads
    rows = []
    rec = Record()
    for payload in iter_record_bytes(path):
        rec.ParseFromString(payload)
        if rec.WhichOneof("record_type") != "history":
            continue
        row = {}
        for item in rec.history.item:
            key = item.key if item.key else "/".join(item.nested_key)
            row[key] = loads(item.value_json)
        if "_step" not in row and rec.history.HasField("step"):
            row["_step"] = rec.history.step.num
        rows.append(row)
    return rows
