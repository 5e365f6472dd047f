"""Writer failures: I/O errors, and values that cannot be encoded or stored: one warning at once, an error at
finish(), no hang, no silent loss; the other values are kept."""

from __future__ import annotations

import errno
import glob
import os
import shutil
import time
import warnings

import numpy as np
import pytest

import nbtrack
from nbtrack.store import sink as storage
from nbtrack.store.folder import DATA_DIR
from nbtrack.values import Encoded, Value


def _writer_warnings(record):
    return [w for w in record if issubclass(w.category, RuntimeWarning) and "nbtrack" in str(w.message)]


def test_run_folder_removed_warns_once_and_finish_raises(logdir):
    run = nbtrack.init(flush_interval=0.05)
    run.log({"a": 1.0})
    run.flush()
    shutil.rmtree(run.dir)
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        start = time.monotonic()
        for i in range(2000):
            run.log({"a": float(i)})
        run.flush()
        time.sleep(0.2)
        run.flush()
        assert time.monotonic() - start < 5  # the loop never waits on the failing disk
    found = _writer_warnings(record)
    assert len(found) == 1, [str(w.message) for w in found]
    assert "removed" in str(found[0].message) or "No such file" in str(found[0].message)
    with pytest.raises(nbtrack.RunWriteError, match=r"2000 records could not be written"):
        run.finish()


def test_data_folder_replaced_by_a_file_is_an_error_at_finish(logdir):
    run = nbtrack.init()
    data_dir = run.dir / DATA_DIR
    shutil.rmtree(data_dir)
    data_dir.write_text("not a folder")  # every open() below it fails with ENOTDIR
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        run.log({"a": 1.0})
        run.flush()
    assert len(_writer_warnings(record)) == 1
    with pytest.raises(nbtrack.RunWriteError, match=r"NotADirectoryError|Not a directory"):
        run.finish()


def test_transient_disk_full_recovers_without_losing_records(logdir, monkeypatch, read):
    real_write = storage._write_all
    failures = {"left": 3}

    def flaky(fd, data):
        if failures["left"]:
            failures["left"] -= 1
            raise OSError(errno.ENOSPC, "No space left on device")
        real_write(fd, data)

    monkeypatch.setattr(storage, "_write_all", flaky)
    run = nbtrack.init()
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        for i in range(100):
            run.log({"a": float(i)})
            if i % 25 == 24:
                run.flush()
        run.finish()  # does not raise: the retries succeeded
    messages = [str(w.message) for w in _writer_warnings(record)]
    assert any("No space left" in m for m in messages)
    assert any("no record was lost" in m for m in messages)
    r = read(run)
    assert r.scalars("a")["value"].tolist() == [float(i) for i in range(100)]
    assert r.damage == []  # a failed write never leaves a torn file that is appended to
    assert len(list((run.dir / DATA_DIR).iterdir())) >= 2  # a new segment after the error


def test_retry_memory_is_bounded(logdir, monkeypatch):
    from nbtrack.record import writer as _writer

    monkeypatch.setattr(_writer, "MAX_RETRY_ROWS", 1000)
    monkeypatch.setattr(storage, "_write_all", lambda fd, data: (_ for _ in ()).throw(OSError(errno.EIO, "I/O error")))
    run = nbtrack.init()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for _chunk in range(20):
            for _ in range(100):
                run.log({"a": 1.0, "b": 2.0})
            run.flush()
        slot = run._writer.slots[0]
        assert slot.pending_rows <= 1000 + 200
        with pytest.raises(nbtrack.RunWriteError, match=r"4000 records could not be written .*I/O error"):
            run.finish()


def test_buffer_is_bounded_by_backpressure(logdir, monkeypatch, read):
    from nbtrack.record import run as recorder

    monkeypatch.setattr(recorder, "WAKE_AT", 1000)
    monkeypatch.setattr(recorder, "MAX_PENDING", 5000)
    monkeypatch.setattr(recorder, "_CHECK_EVERY", 255)
    run = nbtrack.init(flush_interval=3600)  # only backpressure can trigger flushes here
    slow_write = storage.StorageSink.write
    peak = 0

    def write_slowly(self, batch):
        time.sleep(0.01)
        slow_write(self, batch)

    monkeypatch.setattr(storage.StorageSink, "write", write_slowly)
    for i in range(50_000):
        run.log({"a": float(i)})
        peak = max(peak, run._collector.pending())
    run.finish()
    assert 1000 < peak <= 5000 + 256  # grew past the wake mark, held at the cap
    assert read(run).scalars("a")["value"].tolist() == [float(i) for i in range(50_000)]


IMG = np.arange(12, dtype=np.uint8).reshape(2, 2, 3)


def _run(tmp_path, name="r"):
    return nbtrack.init(dir=tmp_path / "runs", name=name)


def _reader(tmp_path, run):
    return nbtrack.open(tmp_path / "runs").run(run.id)


class _Unstorable(Value):
    """A value whose encoding cannot be turned into a record (meta with a tuple key)."""

    KIND = "review_unstorable"

    def encode(self) -> Encoded:
        return Encoded(self.KIND, {(1, 2): "tuple key"})


def test_one_unstorable_value_does_not_block_other_media(tmp_path):
    """write_media fails for the whole merged batch; _enqueue keeps merging later media into the
    failing entry, so every later image is lost too, and each retry rewrites the files of all items
    under new names (orphans)."""
    run = _run(tmp_path)
    run.log({"good": nbtrack.Image(IMG), "bad": _Unstorable()})
    run.flush()
    run.log({"good": nbtrack.Image(IMG)})
    run.flush()
    run.log({"good": nbtrack.Image(IMG)})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(nbtrack.errors.RunWriteError):
            run.finish()  # the bad value must be reported
        r = _reader(tmp_path, run)
        steps = r.media("good")["step"].tolist() if "good" in r.media_tags() else []
    assert steps == [0, 1, 2]
    files = glob.glob(os.path.join(run.dir, "media", "good", "*"))
    assert len(files) == 3, sorted(map(os.path.basename, files))


def test_a_failed_histogram_write_does_not_duplicate_media_records(tmp_path):
    """write_media appends the media rows, then the histogram rows; when the second append fails
    (data file replaced), the retry appends the media rows again: duplicated records, silently."""
    run = _run(tmp_path)
    run.log({"img": nbtrack.Image(IMG), "h": nbtrack.Histogram([1.0])})
    run.flush()
    hfile = glob.glob(os.path.join(run.dir, "data", "*.histograms.arrows"))[0]
    os.rename(hfile, hfile + ".moved")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        run.log({"img": nbtrack.Image(IMG), "h": nbtrack.Histogram([2.0])})
        run.flush()  # the histogram append fails: stream file is gone
        os.rename(hfile + ".moved", hfile)
        run.finish()
    r = _reader(tmp_path, run)
    assert r.media("img")["step"].tolist() == [0, 1]
    assert r.histograms("h")["step"].tolist() == [0, 1]


def test_failing_encode_is_reported_and_other_values_kept(tmp_path):
    class Boom(Value):
        KIND = "review_boom"

        def encode(self):
            raise RuntimeError("kaboom")

    run = _run(tmp_path)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        run.log({"a": nbtrack.Image(IMG), "b": Boom(), "c": nbtrack.Image(IMG)})
        with pytest.raises(nbtrack.errors.RunWriteError, match="kaboom"):
            run.finish()
    assert run._collector.media_bytes == 0
    assert set(_reader(tmp_path, run).media_tags()) == {"a", "c"}
