"""Background I/O errors: one warning at once, an error at finish(), no hang, no silent loss."""

from __future__ import annotations

import errno
import shutil
import time
import warnings

import pytest

import nbtrack
from nbtrack.store import sink as storage
from nbtrack.store.folder import DATA_DIR


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
