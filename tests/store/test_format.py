"""The on-disk format: layout, checksums, tag tables, versions."""

from __future__ import annotations

import json

import numpy as np
import pyarrow as pa
import pytest

import nbtrack
from nbtrack.store import format as fmt
from nbtrack.store.format import FORMAT_VERSION


def _batches(path):
    with pa.ipc.open_stream(pa.memory_map(str(path))) as reader:
        out = []
        while True:
            try:
                out.append(reader.read_next_batch_with_custom_metadata())
            except StopIteration:
                return reader.schema, out


def test_run_folder_layout_and_manifests(logdir):
    run = nbtrack.init(project="p", config={"lr": 0.1}, group="g", tags=["t"], notes="n")
    run.log({"a": 1.0})
    run.finish()
    identity = json.loads((run.dir / "run.json").read_text())
    assert identity["id"] == run.id and identity["project"] == "p" and identity["format_version"] == FORMAT_VERSION
    assert identity["config"] == {"lr": 0.1} and identity["group"] == "g"
    (writer,) = (run.dir / "writers").glob("*.json")
    state = json.loads(writer.read_text())
    assert state["status"] == "finished" and state["exit_code"] == 0 and state["summary"] == {"a": 1.0}
    assert state["files"] == [f"data/{run.writer_id}-0000.scalars.arrows"]
    assert state["tag_names"][state["files"][0]] == ["a"]


def test_data_file_is_a_plain_arrow_stream_with_checksums(logdir):
    run = nbtrack.init()
    for i in range(10):
        run.log({"loss": float(i), "acc": i / 10})
    run.flush()
    run.log({"new/tag": 1.0})
    run.finish()
    (path,) = (run.dir / "data").iterdir()
    assert path.read_bytes()[-8:] == b"\xff\xff\xff\xff\x00\x00\x00\x00"  # end-of-stream
    schema, batches = _batches(path)  # pyarrow alone reads it
    assert schema.names == ["tag_id", "step", "wall_time", "value"]
    assert schema.metadata[b"nbtrack.format"] == FORMAT_VERSION.encode()
    first, second = batches
    assert fmt.decode_tags({k.decode(): v.decode() for k, v in first.custom_metadata.items()}) == {0: "loss", 1: "acc"}
    meta2 = {k.decode(): v.decode() for k, v in second.custom_metadata.items()}
    # since 1.1 a batch repeats the names the previous batch introduced (a second copy, FORMAT.md)
    assert fmt.decode_tags(meta2) == {0: "loss", 1: "acc", 2: "new/tag"} and meta2["nbtrack.seq"] == "1"
    for batch in (first, second):
        meta = {k.decode(): v.decode() for k, v in batch.custom_metadata.items()}
        assert fmt.verify_batch(batch.batch, meta) is None


def test_checksum_covers_values_layout_and_metadata():
    schema = fmt.scalar_schema()
    cols = [pa.array(np.zeros(4, np.int32)), pa.array(np.arange(4)), pa.array(np.ones(4)), pa.array(np.arange(4.0))]
    batch = pa.RecordBatch.from_arrays(cols, schema=schema)
    meta = fmt.batch_metadata(batch, 0, {0: "x"})
    assert fmt.verify_batch(batch, meta) is None
    changed = pa.RecordBatch.from_arrays([*cols[:3], pa.array([0.0, 1.0, 2.0, 3.5])], schema=schema)
    assert fmt.verify_batch(changed, meta) == "checksum mismatch"
    assert fmt.verify_batch(batch.slice(0, 3), meta) == "checksum mismatch"
    renamed = {**meta, fmt.KEY_TAGS: json.dumps({"0": "y"})}
    assert fmt.verify_batch(batch, renamed) == "checksum mismatch"
    assert fmt.verify_batch(batch, {k: v for k, v in meta.items() if k != fmt.KEY_CRC}) == "batch has no checksum"


def test_flatbuffer_custom_metadata_parser_matches_pyarrow():
    sink = pa.BufferOutputStream()
    schema = fmt.scalar_schema()
    batch = pa.RecordBatch.from_arrays([pa.array([0], pa.int32()), pa.array([1]), pa.array([2.0]), pa.array([3.0])],
                                       schema=schema)
    meta = {"nbtrack.seq": "7", "nbtrack.tags": '{"0": "损失 😀"}', "x": ""}
    with pa.ipc.new_stream(sink, schema) as writer:
        writer.write_batch(batch, custom_metadata=meta)
    reader = pa.BufferReader(sink.getvalue())
    pa.ipc.read_message(reader)  # schema
    message = pa.ipc.read_message(reader)
    assert fmt.message_custom_metadata(bytes(message.metadata)) == meta
    with pytest.raises(Exception):
        fmt.message_custom_metadata(b"\xff\xff\xff\x7f" + bytes(12))


def test_resume_writes_a_new_file_per_writer_lifetime(logdir):
    run = nbtrack.init(id="r1")
    run.log({"a": 1.0})
    run.finish()
    again = nbtrack.init(id="r1", resume="allow")
    again.log({"a": 2.0})
    again.finish()
    files = sorted((again.dir / "data").iterdir())
    assert len(files) == 2 and run.writer_id != again.writer_id
    assert len(list((again.dir / "writers").glob("*.json"))) == 2


def test_unknown_major_format_is_refused(logdir):
    run = nbtrack.init()
    run.finish()
    identity = json.loads((run.dir / "run.json").read_text())
    identity["format_version"] = "3.0"
    (run.dir / "run.json").write_text(json.dumps(identity))
    with pytest.raises(nbtrack.UnsupportedFormatError, match=r"format '3.0'.*upgrade nbtrack"):
        nbtrack.RunReader(run.dir)
    lg = nbtrack.open(run.logdir)
    assert len(lg.runs()) == 0 and "3.0" in lg.problems[0]


